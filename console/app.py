"""The console on the web application: its sign-in pages, its sections' routes behind one guard,
its templates and static files, and the headers every console response carries.

The guard, for every section route: a signed session cookie, a session that has not ended, the
member's current role allowed by the route's `Access` (the one role check chat uses too), and on
a POST the session's form token and a same-origin `Origin` (and, for a `once` route, its form's
unused one-time token). Whoever fails sees a page that says what to do next, and nothing of the
programme's data.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.binding import load_secret
from bot.core import Bot
from console import cookies
from console.cookies import CookieSigner, Notice
from console.pages import ROOT, Afterwards, Form, Missing, Page, Pages, Redirect, Route, Visit
from console.times import local_text
from domain.errors import Refusal
from services import console
from storage.repositories import Repositories

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
TEMPLATES_KEY = web.AppKey("console-templates", jinja2.Environment)
SECTIONS_KEY = web.AppKey("console-sections", list)
FORM_TOKEN = "form_token"
ONCE_TOKEN = "once"  # the one-time token of a `once` route's form (macros.html `once_field`)

HEADERS = {
    # Scripts, styles and images from the console itself only; no framing; no referrer to
    # other sites (a sign-in link's token must not travel on; "no-referrer" would also blank
    # the Origin that forms are checked by); nothing cached (pages show personal data).
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

SIGNED_OUT = (
    "You are not signed in, or your session has ended. Send /console to the bot in a private "
    "chat: it replies with a sign-in link for you."
)
LINK_USED = (
    "This sign-in link has expired or was already used. Send /console to the bot for a new one."
)
REFUSED = "The console is for programme staff. There is nothing here for this account."
BAD_ORIGIN = "This form came from another site, so it was not accepted."
STALE_FORM = "This form is out of date (signed out or opened in another session). Please try again."


def sections() -> list[Pages]:
    """Every console section, in the order the navigation lists them."""
    from console import (  # the sections import services; loaded when the console is mounted
        pages_broadcasts,
        pages_coaching,
        pages_home,
        pages_knowledge,
        pages_members,
        pages_pulse,
        pages_team,
    )

    return [
        pages_home.pages,
        pages_team.pages,
        pages_broadcasts.pages,
        pages_pulse.pages,
        pages_coaching.pages,
        pages_members.pages,
        pages_knowledge.pages,
    ]


def templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["root"] = ROOT
    environment.globals["once_token"] = lambda: secrets.token_urlsafe(24)
    environment.filters["local"] = local_text
    return environment


class _Signers:
    """The cookie signer, keyed from the bot's secret on first use: a server that starts while
    its database is down still serves health checks, and the console once it is back."""

    def __init__(self) -> None:
        self._signer: CookieSigner | None = None

    async def of(self, bot: Bot) -> CookieSigner:
        if self._signer is None:
            services = bot.services
            secret = await load_secret(services.settings, services.database, services.clock())
            self._signer = CookieSigner(secret)
        return self._signer


SIGNERS_KEY = web.AppKey("console-signers", _Signers)


async def _signer(request: web.Request, bot: Bot) -> CookieSigner:
    return await request.app[SIGNERS_KEY].of(bot)


def _secure(bot: Bot) -> bool:
    url = bot.services.settings.public_url
    return url is not None and url.startswith("https://")


def render(
    request: web.Request, template: str, title: str, status: int = 200, **values: Any
) -> web.Response:
    """A page in the console's layout. Signed-out pages pass no `member`, so the layout shows
    no navigation."""
    environment = request.app[TEMPLATES_KEY]
    values.setdefault("member", None)
    values.setdefault("notice", None)
    values.setdefault("form_token", "")
    values.setdefault("section", "")
    body = environment.get_template(template).render(
        title=title, sections=request.app[SECTIONS_KEY], **values
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def _same_origin(request: web.Request, bot: Bot) -> bool:
    """A browser sends Origin with every POST; it must be this site (as reached, or as the
    public address says). A POST without one is not a browser's form, and is refused too."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    allowed = {f"{request.scheme}://{request.host}"}
    public = bot.services.settings.public_url
    if public is not None:
        parts = urlsplit(public)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    return origin in allowed


async def _read_form(request: web.Request) -> Form | None:
    """The posted fields; None for a body that is not a form (a 400, not a traceback)."""
    try:
        return Form(await request.post())
    except ValueError:
        return None


def _guarded(route: Route, bot: Bot) -> web.Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        session_token = (await _signer(request, bot)).unsign(request.cookies.get(cookies.SESSION))
        if session_token is None:
            return render(request, "message.html", "Sign in", 401, message=SIGNED_OUT)
        if route.method == "POST" and not _same_origin(request, bot):
            return render(request, "message.html", "Not accepted", 403, message=BAD_ORIGIN)
        form = await _read_form(request) if route.method == "POST" else None
        if route.method == "POST" and form is None:
            return render(request, "message.html", "Not accepted", 400, message=STALE_FORM)
        services = bot.services
        now = services.clock()
        notice = cookies.read_notice(request)
        try:
            async with services.database.transaction() as session:
                repos = Repositories.bound_to(session)
                found = await console.visitor(repos, session_token, now, services.settings)
                if found is None:
                    response = render(request, "message.html", "Sign in", 401, message=SIGNED_OUT)
                    cookies.clear_session(response)
                    return response
                if not route.access.allows(found.member):
                    log.info("console: refused %s to %s", route.path, found.member.role)
                    return render(request, "message.html", "Staff only", 403, message=REFUSED)
                if form is not None and form.fields.get(FORM_TOKEN) != found.form_token:
                    return render(request, "message.html", "Not accepted", 403, message=STALE_FORM)
                if route.once:
                    assert form is not None, "only a POST route is carried out once"
                    once = form.fields.get(ONCE_TOKEN)
                    if not isinstance(once, str) or not once:
                        return render(
                            request, "message.html", "Not accepted", 403, message=STALE_FORM
                        )
                    await console.first_submission(repos, once, now)
                visit = Visit(request, found.member, repos, now, services, form)
                outcome = await route.handler(visit)
                if isinstance(outcome, Page):
                    response = render(
                        request,
                        outcome.template,
                        outcome.title,
                        outcome.status,
                        member=found.member,
                        form_token=found.form_token,
                        notice=notice,
                        section=route.path,
                        **outcome.values,
                    )
                    if notice is not None:
                        cookies.clear_notice(response)
                elif isinstance(outcome, Redirect):
                    response = _redirect(outcome.to, outcome.notice, bot)
                elif isinstance(outcome, Afterwards):
                    response = None
                else:
                    response = outcome
        except Refusal as refusal:
            if route.method != "POST":
                return render(request, "message.html", "Not possible", 400, message=str(refusal))
            back = route.back.format_map(request.match_info)
            return _redirect(back, str(refusal), bot, error=True)
        except Missing as missing:
            return render(request, "message.html", "Not found", 404, message=str(missing))
        if response is None:
            assert isinstance(outcome, Afterwards)
            response = await outcome.finish()
        seconds = int(services.settings.console_session_hours * 3600)
        cookies.set_session(
            response, request.cookies[cookies.SESSION], seconds=seconds, secure=_secure(bot)
        )
        return response

    return handle


def _redirect(to: str, notice: str | None, bot: Bot, *, error: bool = False) -> web.Response:
    response = web.Response(status=303, headers={"Location": to})
    if notice is not None:
        cookies.set_notice(response, Notice(notice, error), secure=_secure(bot))
    return response


def _sign_in_page(bot: Bot) -> web.Handler:
    async def show(request: web.Request) -> web.Response:
        """Only a button: link previews and scanners that fetch the link use nothing up."""
        return render(request, "sign_in.html", "Sign in")

    return show


def _sign_in(bot: Bot) -> web.Handler:
    async def sign_in(request: web.Request) -> web.StreamResponse:
        if not _same_origin(request, bot):
            return render(request, "message.html", "Not accepted", 403, message=BAD_ORIGIN)
        services = bot.services
        async with services.database.transaction() as session:
            session_token = await console.sign_in(
                Repositories.bound_to(session), request.match_info["token"], services.clock()
            )
        if session_token is None:
            return render(request, "message.html", "Link expired", 400, message=LINK_USED)
        response = web.Response(status=303, headers={"Location": ROOT})
        seconds = int(services.settings.console_session_hours * 3600)
        signed = (await _signer(request, bot)).sign(session_token)
        cookies.set_session(response, signed, seconds=seconds, secure=_secure(bot))
        return response

    return sign_in


def _sign_out(bot: Bot) -> web.Handler:
    async def sign_out(request: web.Request) -> web.StreamResponse:
        """Ends the session, given its form token from this site; the cookie goes either way."""
        session_token = (await _signer(request, bot)).unsign(request.cookies.get(cookies.SESSION))
        form = await _read_form(request)
        if session_token is not None and form is not None and _same_origin(request, bot):
            async with bot.services.database.transaction() as session:
                await console.sign_out(
                    Repositories.bound_to(session), session_token, form.fields.get(FORM_TOKEN)
                )
        response = render(
            request, "message.html", "Signed out", message="You are signed out of the console."
        )
        cookies.clear_session(response)
        return response

    return sign_out


UNAVAILABLE = "The console cannot reach its database just now. Please try again in a minute."


def _politely_unavailable(handler: web.Handler) -> web.Handler:
    """A database that is down is a 503 page that says so, not a server error."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (OSError, SQLAlchemyError) as error:
            log.warning("console: database unavailable: %s", type(error).__name__)
            return render(request, "message.html", "Unavailable", 503, message=UNAVAILABLE)

    return handle


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == ROOT or request.path.startswith(ROOT + "/"):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)


def mount(app: web.Application, bot: Bot) -> None:
    """Serve the console at /console on `app` (when CEDP_CONSOLE is on: see bot/web.py)."""
    listed = sections()
    app[TEMPLATES_KEY] = templates()
    app[SIGNERS_KEY] = _Signers()
    app[SECTIONS_KEY] = listed

    app.on_response_prepare.append(_security_headers)
    app.router.add_static(f"{ROOT}/static", HERE / "static", append_version=True)
    sign_in = f"{console.SIGN_IN_PATH}{{token}}"
    app.router.add_get(sign_in, _sign_in_page(bot))
    app.router.add_post(sign_in, _politely_unavailable(_sign_in(bot)))
    app.router.add_post(f"{ROOT}/sign-out", _politely_unavailable(_sign_out(bot)))
    for pages in listed:
        for route in pages.routes:
            guarded = _politely_unavailable(_guarded(route, bot))
            app.router.add_route(route.method, route.path, guarded)
