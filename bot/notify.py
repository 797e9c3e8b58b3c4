"""Messages to people outside the current conversation go through the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.messages import Choice, Choices, Reply, Text
from domain.people import Role
from storage.models import OutboxMessage
from storage.repositories import Repositories


async def notify_staff(
    repos: Repositories, text: str, now: datetime, options: Sequence[Choice] = ()
) -> int:
    """Queue `text` for every staff member on every platform they use; returns how many."""
    sent = 0
    for member in await repos.members.list(role=Role.STAFF):
        for identity in member.identities:
            await repos.outbox.enqueue(identity.platform, identity.external_id, text, now, options)
            sent += 1
    return sent


def outbox_reply(message: OutboxMessage) -> Reply:
    """A queued message as the reply that carries it, whichever adapter hands it over."""
    options = tuple(Choice(label, payload) for label, payload in message.options)
    return Choices(message.text, options) if options else Text(message.text)
