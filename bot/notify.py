"""Messages to people outside the current conversation go through the outbox.

Their choices are bound to the person each message is for (bot.binding) when it is queued: the
outbox holds payloads exactly as the adapters send them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.binding import Binder
from bot.messages import Choice, Choices, Reply, Text
from domain.people import Role
from storage.models import Member, OutboxMessage
from storage.repositories import Repositories


async def queue_for(
    repos: Repositories,
    binder: Binder,
    platform: str,
    recipient_id: str,
    text: str,
    now: datetime,
    options: Sequence[Choice] = (),
) -> None:
    """Queue `text` for one account, its choices bound to that account."""
    bound = binder.bind_options(options, platform, recipient_id)
    await repos.outbox.enqueue(platform, recipient_id, text, now, bound)


async def queue_for_member(
    repos: Repositories,
    binder: Binder,
    member: Member,
    text: str,
    now: datetime,
    options: Sequence[Choice] = (),
    *,
    on_platform: Mapping[str, Sequence[Choice]] | None = None,
) -> int:
    """Queue `text` for every platform account of `member`, with `options` and, on a platform
    `on_platform` names, its choices too (a Slack-only button); returns how many."""
    for identity in member.identities:
        extra = (on_platform or {}).get(identity.platform, ())
        choices = (*options, *extra)
        await queue_for(repos, binder, identity.platform, identity.external_id, text, now, choices)
    return len(member.identities)


async def notify_staff(
    repos: Repositories,
    binder: Binder,
    text: str,
    now: datetime,
    options: Sequence[Choice] = (),
) -> int:
    """Queue `text` for every staff member on every platform they use; returns how many."""
    sent = 0
    for member in await repos.members.list(role=Role.STAFF):
        sent += await queue_for_member(repos, binder, member, text, now, options)
    return sent


def outbox_reply(message: OutboxMessage) -> Reply:
    """A queued message as the reply that carries it, whichever adapter hands it over."""
    options = tuple(Choice(label, payload) for label, payload in message.options)
    return Choices(message.text, options) if options else Text(message.text)
