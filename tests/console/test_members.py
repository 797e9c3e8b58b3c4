"""The Members and invites page: members filtered by role and tag, with their accounts by
platform (never an account's id) and which ones the platforms refused; roles and tags changed
(never one's own staff role taken away); invite codes created (the code shown once, in the
notice) and withdrawn by number. Every change is in the audit trail under the staff member's
pseudonym, as from chat and the command line."""

from __future__ import annotations

import re

from bot.core import Bot
from domain.people import Role
from services.audit import Action
from storage.models import Member
from storage.repositories import Repositories
from tests.conftest import unit
from tests.console.conftest import Browser, text_of

MEMBERS = "/console/members"


async def _add(
    bot: Bot, name: str, role: Role = Role.MEMBER, tags: tuple[str, ...] = (), account: str = ""
) -> int:
    now = bot.services.clock()

    async def add(repos: Repositories) -> int:
        identity = ("telegram", account) if account else None
        member = await repos.members.create(
            display_name=name, role=role, tags=tags, now=now, identity=identity
        )
        return member.id

    return await unit(bot.services.database, add)


async def _member(bot: Bot, member_id: int) -> Member:
    found = await unit(bot.services.database, lambda r: r.members.get(member_id))
    assert found is not None
    return found


async def _trail(bot: Bot) -> list[tuple[str, str, str, dict[str, str]]]:
    entries = await unit(bot.services.database, lambda r: r.audit.entries())
    return [(e.record.actor, e.record.action, e.record.subject, e.record.details) for e in entries]


async def _staff_pseudonym(bot: Bot) -> str:
    listed = await unit(bot.services.database, lambda r: r.members.list(role=Role.STAFF))
    return next(m.pseudonym for m in listed if m.display_name == "Sam Staff")


def _row(page_text: str, member_id: int) -> str:
    found = re.search(rf'<tr id="member-{member_id}">(.*?)</tr>', page_text, re.S)
    assert found, f"no row for member {member_id}"
    return text_of(found.group(1))


# The list


async def test_the_list_shows_name_role_tags_platform_and_when_they_joined(
    bot: Bot, browser: Browser
) -> None:
    ann = await _add(bot, "Ann Lee", tags=("new-ceo", "north-west"), account="987654321")
    page = await browser.get(MEMBERS)
    assert page.status == 200
    row = _row(page.text, ann)
    assert row.startswith(f"Ann Lee #{ann} member new-ceo, north-west Telegram Tue 24 Nov 2026")
    assert "987654321" not in page.text  # the account's id is not shown


async def test_staff_filter_the_list_by_role_and_by_tag(bot: Bot, browser: Browser) -> None:
    ann = await _add(bot, "Ann Lee", tags=("new-ceo",))
    bob = await _add(bot, "Bob Hart", Role.COACH, tags=("north-west",))
    by_tag = await browser.get(f"{MEMBERS}?tag=new-ceo")
    assert f'id="member-{ann}"' in by_tag.text and f'id="member-{bob}"' not in by_tag.text
    by_role = await browser.get(f"{MEMBERS}?role=coach")
    assert f'id="member-{bob}"' in by_role.text and f'id="member-{ann}"' not in by_role.text
    both = text_of((await browser.get(f"{MEMBERS}?role=coach&tag=new-ceo")).text)
    assert "No members match." in both
    assert "Members (0 of 3)" in both


async def test_a_filter_that_cannot_match_anything_gets_a_polite_400(browser: Browser) -> None:
    for query, said in [
        ("role=admin", "'admin' is not a role"),
        ("tag=Not%20A%20Tag", "is not a valid tag"),
        ("tag=one,two", "one tag at a time"),
        ("tag=" + "a" * 5000, "a tag has at most 64 characters"),
        ("role=" + "x" * 5000, "is not a role"),
    ]:
        page = await browser.get(f"{MEMBERS}?{query}")
        assert page.status == 400, query
        assert said in text_of(page.text), query


async def test_unreachable_accounts_are_listed_with_since_when_and_why(
    bot: Bot, browser: Browser
) -> None:
    ann = await _add(bot, "Ann Lee", account="4242")
    now = bot.services.clock()
    await unit(
        bot.services.database,
        lambda r: r.members.mark_unreachable(
            "telegram", "4242", "bot was blocked by the user", now
        ),
    )
    page = await browser.get(MEMBERS)
    shown = text_of(page.text)
    assert "Unreachable accounts (1)" in shown
    assert "Ann Lee Telegram Tue 24 Nov 2026, 09:00 bot was blocked by the user" in shown
    assert "unreachable since Tue 24 Nov 2026, 09:00" in _row(page.text, ann)


# Roles and tags


async def test_staff_change_a_members_role_and_the_trail_records_it(
    bot: Bot, browser: Browser
) -> None:
    ann = await _add(bot, "Ann Lee")
    await browser.get(MEMBERS)
    page = await browser.post(f"{MEMBERS}/{ann}/role", {"role": "coach"})
    assert "Ann Lee is now coach." in text_of(page.text)
    assert (await _member(bot, ann)).role == Role.COACH
    pseudonym = (await _member(bot, ann)).pseudonym
    assert (
        await _staff_pseudonym(bot),
        Action.MEMBER_ROLE.value,
        pseudonym,
        {"before": "member", "after": "coach"},
    ) in await _trail(bot)


async def test_staff_cannot_take_away_their_own_staff_role(bot: Bot, browser: Browser) -> None:
    await browser.get(MEMBERS)
    [me] = await unit(bot.services.database, lambda r: r.members.list(role=Role.STAFF))
    page = await browser.post(f"{MEMBERS}/{me.id}/role", {"role": "member"})
    assert "you cannot take away your own staff role" in text_of(page.text)
    assert (await _member(bot, me.id)).role == Role.STAFF
    assert (await browser.get(MEMBERS)).status == 200  # still staff, still in


async def test_garbage_role_changes_get_a_notice_or_a_404(bot: Bot, browser: Browser) -> None:
    ann = await _add(bot, "Ann Lee")
    await browser.get(MEMBERS)
    for path, fields, said in [
        (f"{MEMBERS}/{ann}/role", {"role": "admin"}, "'admin' is not a role"),
        (f"{MEMBERS}/{ann}/role", {}, "Role: please fill this in"),
        (f"{MEMBERS}/{ann}/role", {"role": "x" * 50}, "at most 20 characters"),
        (f"{MEMBERS}/999999/role", {"role": "coach"}, "no member with id 999999"),
    ]:
        page = await browser.post(path, fields)
        assert page.status == 200 and said in text_of(page.text), (path, fields)
    for path in [f"{MEMBERS}/ann/role", f"{MEMBERS}/99999999999999999/role"]:
        assert (await browser.post(path, {"role": "coach"}, follow=False)).status == 404
    assert (await _member(bot, ann)).role == Role.MEMBER


async def test_staff_add_and_remove_tags_and_the_trail_records_it(
    bot: Bot, browser: Browser
) -> None:
    ann = await _add(bot, "Ann Lee", tags=("new-ceo", "north-west"))
    await browser.get(MEMBERS)
    page = await browser.post(
        f"{MEMBERS}/{ann}/tags", {"add": "mentor-ready, cohort-2", "remove": "north-west"}
    )
    assert "Ann Lee's tags: cohort-2, mentor-ready, new-ceo." in text_of(page.text)
    assert {tag.tag for tag in (await _member(bot, ann)).tags} == {
        "cohort-2",
        "mentor-ready",
        "new-ceo",
    }
    pseudonym = (await _member(bot, ann)).pseudonym
    assert (
        await _staff_pseudonym(bot),
        Action.MEMBER_TAGS.value,
        pseudonym,
        {"added": "mentor-ready,cohort-2", "removed": "north-west"},
    ) in await _trail(bot)


async def test_garbage_tag_changes_get_a_notice(bot: Bot, browser: Browser) -> None:
    ann = await _add(bot, "Ann Lee", tags=("new-ceo",))
    await browser.get(MEMBERS)
    for fields, said in [
        ({"add": "Not A Tag"}, "is not a valid tag"),
        ({"add": ""}, "say which tags to add or remove"),
        ({"add": "a," * 300}, "at most 400 characters"),
        ({"remove": "x" * 100}, "say which tags to add or remove"),
    ]:
        page = await browser.post(f"{MEMBERS}/{ann}/tags", fields)
        assert said in text_of(page.text), fields
    assert [tag.tag for tag in (await _member(bot, ann)).tags] == ["new-ceo"]


# Invites


async def test_a_new_invites_code_is_shown_once_in_the_notice(bot: Bot, browser: Browser) -> None:
    await browser.get(MEMBERS)
    page = await browser.post(
        f"{MEMBERS}/invites",
        {"role": "member", "tags": "new-ceo", "uses": "3", "expires_days": "14"},
    )
    shown = text_of(page.text)
    found = re.search(r"Invite #(\d+) created\. Its code is ([A-Z0-9]{4}-[A-Z0-9]{4})", shown)
    assert found, shown
    invite_id, code = found.groups()
    assert "It admits 3 as member, tags new-ceo, and expires Tue 8 Dec 2026, 09:00." in shown
    again = await browser.get(MEMBERS)
    assert code not in again.text and code.replace("-", "") not in again.text
    assert f"#{invite_id} member new-ceo 0 of 3" in text_of(again.text)
    entries = await _trail(bot)
    assert (
        await _staff_pseudonym(bot),
        Action.INVITE_CREATE.value,
        f"invite:{invite_id}",
        {"role": "member", "uses": "3"},
    ) in entries
    assert code.replace("-", "") not in repr(entries)


async def test_an_invite_without_days_never_expires(browser: Browser) -> None:
    await browser.get(MEMBERS)
    page = await browser.post(
        f"{MEMBERS}/invites", {"role": "coach", "uses": "1", "expires_days": ""}
    )
    assert "and never expires." in text_of(page.text)


async def test_garbage_invites_get_a_notice_and_create_nothing(bot: Bot, browser: Browser) -> None:
    await browser.get(MEMBERS)
    before = len(await unit(bot.services.database, lambda r: r.invites.list()))
    good = {"role": "member", "uses": "1", "expires_days": "14"}
    for change, said in [
        ({"role": "boss"}, "'boss' is not a role"),
        ({"uses": "0"}, "People it admits: from 1 to 10000"),
        ({"uses": "lots"}, "People it admits: a whole number"),
        ({"uses": "10001"}, "from 1 to 10000"),
        ({"expires_days": "0"}, "Valid for (days): from 1 to 365"),
        ({"expires_days": "-3"}, "from 1 to 365"),
        ({"expires_days": "9" * 40}, "at most 12 characters"),
        ({"tags": "Bad Tag"}, "is not a valid tag"),
    ]:
        page = await browser.post(f"{MEMBERS}/invites", {**good, **change})
        assert said in text_of(page.text), change
    assert len(await unit(bot.services.database, lambda r: r.invites.list())) == before


async def test_staff_withdraw_an_invite_by_number(bot: Bot, browser: Browser) -> None:
    await browser.get(MEMBERS)
    await browser.post(f"{MEMBERS}/invites", {"role": "member", "uses": "1", "expires_days": ""})
    invite = (await unit(bot.services.database, lambda r: r.invites.list()))[-1]
    page = await browser.post(f"{MEMBERS}/invites/{invite.id}/revoke", {})
    shown = text_of(page.text)
    assert f"Invite #{invite.id} is withdrawn." in shown
    assert f"#{invite.id} member — 0 of 1" in shown and "revoked" in shown
    assert f'aria-label="Withdraw invite #{invite.id}"' not in page.text
    assert (
        await _staff_pseudonym(bot),
        Action.INVITE_REVOKE.value,
        f"invite:{invite.id}",
        {},
    ) in await _trail(bot)


async def test_withdrawing_an_unknown_invite_gets_a_notice_or_a_404(browser: Browser) -> None:
    await browser.get(MEMBERS)
    page = await browser.post(f"{MEMBERS}/invites/4242/revoke", {})
    assert "no invite #4242" in text_of(page.text)
    assert (
        await browser.post(f"{MEMBERS}/invites/ABCD-EFGH/revoke", {}, follow=False)
    ).status == 404
