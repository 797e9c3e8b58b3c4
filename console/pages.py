"""How a console section declares its pages, the way a capability declares its chat routes:

    pages = Pages("team", "Team queue")

    @pages.get("")
    async def queue(visit: Visit) -> Page: ...

    @pages.post("/{question}/answer")
    async def answer(visit: Visit) -> Redirect: ...

Every route has an `access` (programme staff unless it says otherwise), which console/app.py
checks with `Access.allows` before the handler runs, and runs in one database transaction. A
POST is refused unless it carries the session's form token; a `once` POST also needs its
form's one-time token, so a double click sends one broadcast, not two. A `Refusal` raised by
the rules undoes the transaction and becomes the notice on the page the route names as `back`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.context import Services
from bot.router import Access
from domain.errors import Refusal
from domain.people import MemberRef
from storage.repositories import Repositories

ROOT = "/console"


class FormError(Refusal):
    """A form field that is missing or not what it should be; the message names it."""


class Missing(Exception):
    """What the address names does not exist (a 404 page that says so)."""


def in_brief(problems: Sequence[object], at_most: int) -> str:
    """The first few problems for a notice, which travels in a cookie and must stay short:
    `a; b; and 3 more` (the page itself can list them all)."""
    shown = "; ".join(str(problem) for problem in problems[:at_most])
    more = len(problems) - at_most
    return shown + (f"; and {more} more" if more > 0 else "")


@dataclass(frozen=True, slots=True)
class Form:
    """A posted form, read field by field with the checks each field needs."""

    fields: MultiDictProxy[str | bytes | web.FileField]

    def text(self, name: str, label: str, *, max_chars: int, required: bool = True) -> str:
        value = self.fields.get(name, "")
        if not isinstance(value, str):
            raise FormError(f"{label}: expected text")
        value = value.strip()
        if required and not value:
            raise FormError(f"{label}: please fill this in")
        if len(value) > max_chars:
            raise FormError(f"{label}: at most {max_chars} characters, not {len(value)}")
        return value

    def texts(self, name: str) -> list[str]:
        """Every value posted under `name` (checkboxes, multiple selects), non-empty ones only."""
        return [
            value.strip()
            for value in self.fields.getall(name, [])
            if isinstance(value, str) and value.strip()
        ]

    def checked(self, name: str) -> bool:
        return name in self.fields

    def number(self, name: str, label: str, *, low: int, high: int) -> int:
        value = self.text(name, label, max_chars=12)
        try:
            number = int(value)
        except ValueError:
            raise FormError(f"{label}: a whole number, please") from None
        if not low <= number <= high:
            raise FormError(f"{label}: from {low} to {high}")
        return number

    def file_text(self, name: str, label: str, *, max_bytes: int) -> str:
        """An uploaded text file's content, as UTF-8."""
        value = self.fields.get(name)
        if not isinstance(value, web.FileField):
            raise FormError(f"{label}: choose a file to upload")
        data = value.file.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise FormError(f"{label}: the file is larger than {max_bytes // 1024} KB")
        if not data.strip():
            raise FormError(f"{label}: the file is empty")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise FormError(f"{label}: the file is not UTF-8 text") from None


@dataclass(frozen=True, slots=True)
class Visit:
    """One request of a signed-in member: their current snapshot, the repositories of the
    request's transaction, the time, and the bot's services (settings, knowledge, ...)."""

    request: web.Request
    member: MemberRef
    repos: Repositories
    now: datetime
    services: Services
    form: Form | None = None

    def whole(self, name: str) -> int:
        """A path segment that must be a record number; anything else is a 404."""
        text = self.request.match_info[name]
        if not text.isdigit() or len(text) > 12:
            raise Missing(f"no such page: {self.request.path}")
        return int(text)

    @property
    def posted(self) -> Form:
        assert self.form is not None, "only POST routes read a form"
        return self.form


@dataclass(frozen=True, slots=True)
class Page:
    """A template to render inside the console's layout, with its values."""

    template: str
    title: str
    values: Mapping[str, Any] = field(default_factory=dict)
    status: int = 200


@dataclass(frozen=True, slots=True)
class Redirect:
    """See another page (303), with a notice saying what was done."""

    to: str
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class Afterwards:
    """A response finished once the request's transaction has committed: slow work that needs
    no database (drawing a chart), so the database is not held while it runs (on SQLite every
    other writer of the process would wait for it)."""

    finish: Callable[[], Awaitable[web.StreamResponse]]


Outcome = Page | Redirect | Afterwards | web.StreamResponse
Handler = Callable[[Visit], Awaitable[Outcome]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    access: Access
    back: str  # where a refusal's notice is shown, for a POST
    once: bool = False  # carried out once per form shown: a double click does nothing more


class Pages:
    """The pages of one console section, under /console/<section> (the home page: "")."""

    def __init__(self, section: str, title: str) -> None:
        self.section = section
        self.title = title
        self.base = f"{ROOT}/{section}" if section else ROOT
        self.routes: list[Route] = []

    def _add(
        self, method: str, path: str, access: Access, back: str | None, once: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            route = Route(method, self.base + path, handler, access, back or self.base, once)
            self.routes.append(route)
            return handler

        return register

    def get(self, path: str, *, access: Access = Access.STAFF) -> Callable[[Handler], Handler]:
        return self._add("GET", path, access, None)

    def post(
        self,
        path: str,
        *,
        access: Access = Access.STAFF,
        back: str | None = None,
        once: bool = False,
    ) -> Callable[[Handler], Handler]:
        """A form's action; `back` (default: the section's page) shows a refusal's notice.
        A `once` action (sending, creating) needs the form's one-time token (`once_field`),
        and is refused when the same form comes again."""
        return self._add("POST", path, access, back, once)
