"""The onion around every handler. Each middleware does one job and calls the next layer.

Order (outermost first) is `DEFAULT_MIDDLEWARE`: measure and log, turn errors into a polite reply,
open the unit of work, drop redeliveries and rate-limit, check that a pressed button was shown to
this person (and bind the choices going back to them), identify the person (and load their
conversation), guard the input, resolve the route, check access, then the handler.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from bot.binding import NotYours
from bot.context import Context, ConversationHandle
from bot.logs import correlation_id
from bot.messages import ChoicePress, CommandMessage, InboundEvent, Reply, Text, TextMessage
from bot.reply_codec import encode_replies
from bot.router import Access, Handler
from storage.conversations import ConversationKey
from storage.database import connection_was_lost
from storage.repositories import Repositories
from storage.throttle import RATE_WINDOW, rate_limit_key

log = logging.getLogger(__name__)

Middleware = Callable[[InboundEvent, Context, Handler], Awaitable[list[Reply]]]

SORRY = (
    "Sorry, something went wrong on my side and nothing was changed. "
    "Please try again in a moment; if it keeps happening, tell the programme team."
)
SLOW_DOWN = "You're sending messages faster than I can answer. Please wait a minute and try again."
EMPTY = (
    "I didn't catch a question there. Type your question in words, or /help to see what I can do."
)
TOO_LONG = (
    "That message is too long for me ({length:,} characters). "
    "Please ask in under {limit:,} characters; the key question is enough."
)
UNKNOWN_COMMAND = "I don't know /{name}. Send /help to see the commands I understand."
STALE_CHOICE = "That button is from an older message and no longer works. Send /start for the menu."
NOT_YOURS = "That button isn't for you, or it has expired."
JOIN_FIRST = "That's for {who}. If you have an invite code, send /join followed by the code."
NOT_ALLOWED = "Sorry, that's only available to {who}."
PRIVATE_ONLY = "That's personal, so let's keep it private: send it to me in a direct message."


async def measure_and_log(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    """Correlation id on every log line; messages in and out; latency by route."""
    token = correlation_id.set(ctx.correlation_id)
    started = time.perf_counter()
    metrics = ctx.services.metrics
    metrics.messages_in.labels(event.sender.platform).inc()
    try:
        replies = await call_next(event, ctx)
    finally:
        route = ctx.route.name if ctx.route else "none"
        elapsed = time.perf_counter() - started
        metrics.handler_seconds.labels(route).observe(elapsed)
        log.info(
            "%s %s handled by %s in %.1f ms",
            event.sender.platform,
            type(event.content).__name__,
            route,
            elapsed * 1000,
        )
        correlation_id.reset(token)
    metrics.messages_out.labels(event.sender.platform).inc(len(replies))
    return replies


async def errors_to_reply(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    """No stack trace ever reaches a person: log it, count it, say sorry."""
    try:
        return await call_next(event, ctx)
    except Exception:
        route = ctx.route.name if ctx.route else "none"
        log.exception("handler failed on route %s", route)
        ctx.services.metrics.errors.labels(route).inc()
        return [Text(SORRY)]


async def unit_of_work(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    """One transaction per event: everything the handler did is kept, or nothing is.

    When the database had dropped the connection (a restart), the event runs once more on a
    fresh one: nothing was committed, and de-duplication stops a second answer if the commit
    itself got through before the connection died.
    """
    try:
        return await _in_transaction(event, ctx, call_next)
    except Exception as error:
        if not connection_was_lost(error):
            raise
        log.warning("the database connection was lost; running the event again")
        return await _in_transaction(event, ctx, call_next)


async def _in_transaction(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    async with ctx.services.database.transaction() as session:
        ctx.repos = Repositories.bound_to(session)
        return await call_next(event, ctx)


async def admit(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    """A delivery is handled once: a platform's redelivery, or a worker taking over after a
    crash, gets no second answer. A person gets a per-minute limit shared by all workers: one
    warning, then silence for the window. The replies wait in the inbox, committed with
    everything the handler did, until the adapter has sent them."""
    limit = ctx.services.settings.rate_limit_per_minute
    admission = await ctx.repos.throttle.admit(
        event.sender.platform,
        event.event_id,
        rate_limit_key(event.sender.platform, event.sender.external_id),
        ctx.now,
        RATE_WINDOW,
    )
    if not admission.first_delivery:
        log.info("dropped redelivery of %s", event.event_id)
        return []
    if admission.count <= limit:
        replies = await call_next(event, ctx)
    else:
        replies = [Text(SLOW_DOWN)] if admission.count == limit + 1 else []
    if replies and event.event_id is not None:
        await ctx.repos.inbox.hold_replies(
            event.sender.platform,
            event.event_id,
            encode_replies(replies),
            reply_to=event.conversation.external_id,
            reply_person=event.sender.external_id,
        )
    return replies


async def bind_choices(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    """A button works only for the account it was shown to (see bot.binding): a press is opened
    here, before any handler, and every choice in the replies is bound to the sender."""
    binder, sender = ctx.services.binder, event.sender
    content = event.content
    if isinstance(content, ChoicePress):
        try:
            value = binder.open(content.payload, sender.platform, sender.external_id)
        except NotYours:
            log.info("refused a %s button not bound to its presser", sender.platform)
            return [Text(NOT_YOURS)]
        event = dataclasses.replace(event, content=dataclasses.replace(content, value=value))
    replies = await call_next(event, ctx)
    return binder.bind_replies(replies, sender.platform, sender.external_id)


async def identify(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    """Attach the member behind the platform account, when there is one, and load where the
    person is in a conversation (one query for both)."""
    key = ConversationKey(
        event.sender.platform, event.conversation.external_id, event.sender.external_id
    )
    arrival = await ctx.repos.arrivals.look_up(key, ctx.now)
    if arrival.member is not None:
        event = dataclasses.replace(event, member=arrival.member)
    ctx.conversation = ConversationHandle(
        ctx.repos.conversations,
        key,
        arrival.state,
        ConversationHandle.expiry(ctx.now, ctx.services.settings.conversation_ttl_minutes),
    )
    return await call_next(event, ctx)


async def guard_input(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    """Empty and oversized text is answered here, before any handler sees it."""
    content = event.content
    if isinstance(content, TextMessage):
        limit = ctx.services.settings.max_message_chars
        if not any(ch.isalnum() for ch in content.text):
            return [Text(EMPTY)]
        if len(content.text) > limit:
            return [Text(TOO_LONG.format(length=len(content.text), limit=limit))]
    return await call_next(event, ctx)


async def resolve_route(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    """Pick the handler for the event in its conversation; unknown commands and stale buttons
    stop here."""
    route = ctx.services.routes.resolve(event, ctx.conversation.state)
    if route is None:
        if isinstance(event.content, CommandMessage):
            return [Text(UNKNOWN_COMMAND.format(name=event.content.name))]
        if isinstance(event.content, ChoicePress):
            return [Text(STALE_CHOICE)]
        return [Text(EMPTY)]
    ctx.route = route
    return await call_next(event, ctx)


_WHO = {
    Access.MEMBERS: "programme members",
    Access.COACHES: "coaches",
    Access.STAFF: "programme staff",
}


async def authorize(event: InboundEvent, ctx: Context, call_next: Handler) -> list[Reply]:
    """The one place where roles, and private-only routes, are checked."""
    assert ctx.route is not None, "authorize runs after resolve_route"
    access = ctx.route.access
    if ctx.route.private_only and not event.conversation.is_private:
        return [Text(PRIVATE_ONLY)]
    if access.allows(event.member):
        return await call_next(event, ctx)
    log.info("refused %s to %s", ctx.route.name, event.member.role if event.member else "guest")
    refusal = JOIN_FIRST if event.member is None else NOT_ALLOWED  # a guest may join
    return [Text(refusal.format(who=_WHO[access]))]


DEFAULT_MIDDLEWARE: Sequence[Middleware] = (
    measure_and_log,
    errors_to_reply,
    unit_of_work,
    admit,
    bind_choices,
    identify,
    guard_input,
    resolve_route,
    authorize,
)
# The terminal is one local person at a keyboard: nothing is redelivered, nobody to throttle.
TERMINAL_MIDDLEWARE: Sequence[Middleware] = tuple(
    layer for layer in DEFAULT_MIDDLEWARE if layer is not admit
)


async def _call_route(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert ctx.route is not None, "the route is resolved before the handler runs"
    return await ctx.route.handler(event, ctx)


def build_pipeline(middleware: Sequence[Middleware]) -> Handler:
    """Wrap the route call in the middleware, outermost first. Each layer gets the next as a
    bound argument, so an event passes through one coroutine per layer, not two."""
    handler: Handler = _call_route
    for layer in reversed(middleware):
        handler = functools.partial(layer, call_next=handler)
    return handler
