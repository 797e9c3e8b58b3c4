"""Peer introductions in chat: find peers, ask for an introduction with a note, answer one
(Accept / Not now / Block), withdraw, and see one's introductions with the details shared.
Every rule is in services/intros.py; the directory entry itself is handlers/directory.py.

The messages here are also what the jobs send (handlers/intros_jobs.py): a request, a round's
proposal and their reminder carry the same buttons, bound to the person they are sent to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.messages import Choice
from bot.payloads import Payload, offer
from bot.router import Router
from storage.intros import DirectoryProfile, Introduction

router = Router("intros")

NOT_THIS_TIME = (
    "Your introduction to {names} did not happen this time. Send /directory to find other peers."
)


# Where the /directory menu leads (handlers/directory.py offers these)


class Find(Payload, prefix="dir:find"):
    pass


class Requests(Payload, prefix="dir:requests"):
    pass


class Introductions(Payload, prefix="dir:intros"):
    pass


# Answers, bound to the person the request or proposal was sent to


class Accept(Payload, prefix="intro:yes"):
    introduction: int


class NotNow(Payload, prefix="intro:no"):
    introduction: int


class Block(Payload, prefix="intro:block"):
    introduction: int


class NeverPairThem(Payload, prefix="intro:never"):
    """A round's proposal: "never pair me with them" (a private no, and a no to this one)."""

    introduction: int


class Withdraw(Payload, prefix="intro:withdraw"):
    introduction: int


class OpenSlackGroup(Payload, prefix="intro:slack-group"):
    introduction: int


def _month(day: date) -> str:
    return f"{day:%B %Y}"


def profile_text(entry: DirectoryProfile) -> str:
    """A directory entry as others see it: never a contact detail."""
    lines = [f"{entry.name}, {entry.organisation} ({entry.region})"]
    if entry.in_post_since is not None:
        lines.append(f"In post since {_month(entry.in_post_since)}")
    if entry.interests:
        lines.append("Interests: " + ", ".join(entry.interests))
    if entry.talk_about:
        lines.append(f"Happy to talk about: {entry.talk_about}")
    return "\n".join(lines)


def _lapses(introduction: Introduction) -> str:
    return (
        f"{introduction.expires_at:%A} {introduction.expires_at.day} {introduction.expires_at:%B}"
    )


def answer_options(introduction: Introduction) -> tuple[Choice, ...]:
    """The buttons on a request or a round's proposal."""
    if introduction.requester is not None:
        return (
            offer("Accept", Accept(introduction.id)),
            offer("Not now", NotNow(introduction.id)),
            offer("Block", Block(introduction.id)),
        )
    options = [
        offer("Yes, introduce us", Accept(introduction.id)),
        offer("Not this time", NotNow(introduction.id)),
    ]
    if len(introduction.parties) == 2:
        options.append(offer("Never pair me with them", NeverPairThem(introduction.id)))
    return tuple(options)


def request_text(introduction: Introduction, requester: DirectoryProfile) -> str:
    """What the person asked receives: who asks, their entry, their note."""
    note = f"\n\nTheir note:\n{introduction.note}" if introduction.note else ""
    return (
        f"{requester.name} would like to be introduced to you.\n\n{profile_text(requester)}"
        f"{note}\n\nIf you accept, you'll both receive each other's chosen contact details. "
        f"If not, they won't be told why. The request lapses on {_lapses(introduction)}."
    )


def proposal_text(introduction: Introduction, others: Sequence[DirectoryProfile]) -> str:
    """What each person in a round's pair (or trio) receives."""
    who = "\n\n".join(profile_text(entry) for entry in others)
    return (
        f"This round's introduction for you:\n\n{who}\n\nWould you like to be introduced? "
        "Details are shared only if everyone says yes; nobody is told who said no. "
        f"This lapses on {_lapses(introduction)}."
    )


def reminder_text(introduction: Introduction, others: Sequence[DirectoryProfile]) -> str:
    names = " and ".join(entry.name for entry in others) or "a peer"
    if introduction.requester is not None:
        opening = f"A reminder: {names} asked to be introduced to you."
    else:
        opening = f"A reminder: this round proposed introducing you to {names}."
    return f"{opening} It lapses on {_lapses(introduction)}; your answer?"
