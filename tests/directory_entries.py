"""Members in the peer directory, written through the rules, for the intros job and command-line
tests and the benchmark."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from domain.intros import REGIONS, ContactKind
from domain.people import Role
from services import intros
from services.intros import ProfileDraft
from storage.repositories import Repositories


async def listed_member(
    repos: Repositories,
    name: str,
    now: datetime,
    *,
    account: str | None = None,
    tags: Sequence[str] = (),
    interests: Sequence[str] = ("finance",),
    region: str = REGIONS[1],
    in_post_since: date | None = None,
    buddy: bool = False,
    email: str | None = None,
) -> int:
    """A member on the test platform (account `account`, or none) with a directory entry
    sharing `email` if given."""
    member = await repos.members.create(
        display_name=name,
        role=Role.MEMBER,
        tags=tags,
        now=now,
        identity=("test", account) if account else None,
    )
    draft = ProfileDraft(
        name=name,
        organisation=f"{name.split()[0]} NHS Trust",
        region=region,
        in_post_since=in_post_since,
        interests=tuple(interests),
        talk_about="",
        shares=frozenset({ContactKind.EMAIL}) if email else frozenset(),
        email=email,
        buddy=buddy,
    )
    await intros.save_profile(repos, member.id, draft, now)
    return member.id
