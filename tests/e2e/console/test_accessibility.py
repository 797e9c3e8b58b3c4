"""In a real browser, every page staff open: each form control has a label (or an accessible
name), each button and link says what it does, each image has a text alternative, headings do
not skip a level, and nothing is wider than a tablet's screen."""

from __future__ import annotations

import re

from playwright.async_api import Browser

from console.app import sections
from domain.people import Role
from tests.e2e.conftest import Served
from tests.e2e.console.conftest import a_working_day, join, sign_in
from tests.e2e.loopback import LoopbackPlatforms

# What the page has that a reader cannot name: controls without a label, buttons and links
# without words, images without alt, and a heading more than one level below the one before.
UNNAMED = """() => {
  const named = (el) => (el.labels && el.labels.length) || el.getAttribute("aria-label")
    || el.getAttribute("aria-labelledby") || el.getAttribute("title");
  const problems = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type !== "hidden" && !named(el)) problems.push("control " + (el.name || el.id));
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!(el.innerText.trim() || el.getAttribute("aria-label"))) {
      problems.push("nameless " + el.outerHTML);
    }
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.getAttribute("alt")) problems.push("image " + el.src);
  }
  let level = 0;
  for (const el of document.querySelectorAll("h1, h2, h3, h4")) {
    const next = Number(el.tagName[1]);
    if (next > level + 1) problems.push("heading jumps to " + el.tagName + ": " + el.innerText);
    level = next;
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    problems.push("wider than the screen");
  }
  return problems;
}"""


def _pages() -> list[str]:
    """Every HTML page of every section, record numbers 1 (a broadcast and a check-in exist)."""
    return [
        re.sub(r"\{[^}]+\}", "1", route.path)
        for pages in sections()
        for route in pages.routes
        if route.method == "GET" and not re.search(r"counts|\.png|\.csv|\.yaml", route.path)
    ]


async def test_every_page_names_what_it_shows_and_fits_a_tablet(
    chromium: Browser, console_served: Served, platforms: LoopbackPlatforms
) -> None:
    await a_working_day(console_served, platforms, (7501, 7502))
    page = await sign_in(chromium, await join(console_served, platforms, 7500, Role.STAFF))
    await page.set_viewport_size({"width": 768, "height": 1024})
    for path in _pages():
        response = await page.goto(console_served.url + path)
        assert response is not None and response.status == 200, path
        assert await page.evaluate(UNNAMED) == [], path
