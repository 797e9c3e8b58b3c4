"""Broadcasts: compose, preview, confirm, then watch delivery counts live (rules:
services/broadcasts.py, as for /broadcast and `cedp-bot broadcast`)."""

from __future__ import annotations

from aiohttp import web

from console.pages import Pages, Visit
from services import broadcasts

pages = Pages("broadcasts", "Broadcasts")


@pages.get("/{broadcast}/counts")
async def counts(visit: Visit) -> web.Response:
    """The live counts a page refreshes (console/static/live.js): `done` once nothing is
    pending, so polling stops."""
    report = await broadcasts.status(visit.repos, visit.whole("broadcast"))
    return web.json_response(
        {**report.as_json(), "state": report.state, "done": report.state != "sending"}
    )
