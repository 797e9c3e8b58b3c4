"""Membership rules, the same for /join, /link and /invite in chat and for `cedp-bot members`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.people import OPERATOR, MemberRef, Role
from services import members as membership
from services.members import InviteState, MembershipError
from storage.invites import RedeemFailure
from tests.services.conftest import NOW

ALICE = ("telegram", "42")


@pytest.mark.parametrize("uses", [0, membership.MAX_INVITE_USES + 1])
async def test_an_invite_admits_from_one_to_the_most_people(unit, uses: int) -> None:
    with pytest.raises(MembershipError, match="from 1 to 10000 people"):
        await unit(
            lambda r: membership.create_invite(
                r, role=Role.MEMBER, uses=uses, valid_for=None, now=NOW, by=OPERATOR
            )
        )
    assert await unit(lambda r: membership.list_invites(r, NOW)) == []


async def test_an_invite_is_open_then_used_up_expired_or_revoked(unit) -> None:
    async def states(now=NOW) -> list[InviteState]:
        return [status.state for status in await unit(lambda r: membership.list_invites(r, now))]

    invite = await unit(
        lambda r: membership.create_invite(
            r, role=Role.COACH, uses=1, valid_for=timedelta(days=1), now=NOW, by=OPERATOR
        )
    )
    assert await states() == [InviteState.OPEN]
    assert await states(NOW + timedelta(days=2)) == [InviteState.EXPIRED]

    joined = await unit(
        lambda r: membership.join(r, invite.code, display_name="Alice", account=ALICE, now=NOW)
    )
    assert joined.role == "coach" and joined.display_name == "Alice"
    assert await states() == [InviteState.USED_UP]

    await unit(lambda r: membership.revoke_invite(r, invite.code, NOW, OPERATOR))
    assert await states(NOW + timedelta(days=2)) == [InviteState.REVOKED]  # revoked says most


async def test_joining_with_a_used_code_says_why_and_adds_nobody(unit) -> None:
    invite = await unit(
        lambda r: membership.create_invite(
            r, role=Role.MEMBER, valid_for=None, now=NOW, by=OPERATOR
        )
    )
    await unit(
        lambda r: membership.join(r, invite.code, display_name="Alice", account=ALICE, now=NOW)
    )

    refused = await unit(
        lambda r: membership.join(
            r, invite.code, display_name="Bob", account=("slack", "U1"), now=NOW
        )
    )

    assert refused is RedeemFailure.USED_UP
    assert [m.display_name for m in await unit(membership.list_members)] == ["Alice"]


async def test_a_link_code_attaches_another_account_to_the_same_member_once(unit) -> None:
    alice = await unit(
        lambda r: membership.add_member(
            r, name="Alice", role=Role.MEMBER, account=ALICE, now=NOW, by=OPERATOR
        )
    )
    code = await unit(lambda r: membership.new_link_code(r, alice.id, NOW))

    linked = await unit(lambda r: membership.link_account(r, code, ("slack", "U1"), NOW))
    again = await unit(lambda r: membership.link_account(r, code, ("console", "x"), NOW))

    assert linked is not None and linked.id == alice.id and again is None
    member = await unit(lambda r: membership.get_member(r, alice.id))
    assert sorted((i.platform, i.external_id) for i in member.identities) == [
        ("slack", "U1"),
        ALICE,
    ]


async def test_an_account_belongs_to_one_member_only(unit) -> None:
    await unit(
        lambda r: membership.add_member(
            r, name="Alice", role=Role.STAFF, account=ALICE, now=NOW, by=OPERATOR
        )
    )

    with pytest.raises(MembershipError, match="telegram:42 already belongs to a member"):
        await unit(
            lambda r: membership.add_member(
                r, name="Imposter", role=Role.MEMBER, account=ALICE, now=NOW, by=OPERATOR
            )
        )


@pytest.mark.parametrize(
    "change",
    [
        lambda r: membership.get_member(r, 999),
        lambda r: membership.set_role(r, 999, Role.COACH, NOW, OPERATOR),
        lambda r: membership.change_tags(r, 999, add=["london"], now=NOW, by=OPERATOR),
    ],
    ids=["get", "set-role", "tag"],
)
async def test_an_unknown_member_is_refused_by_id(unit, change) -> None:
    with pytest.raises(MembershipError, match="no member with id 999"):
        await unit(change)


async def test_changing_tags_needs_something_to_add_or_remove(unit) -> None:
    alice = await unit(
        lambda r: membership.add_member(r, name="A", role=Role.MEMBER, now=NOW, by=OPERATOR)
    )

    with pytest.raises(MembershipError, match="say which tags"):
        await unit(lambda r: membership.change_tags(r, alice.id, now=NOW, by=OPERATOR))


async def test_staff_cannot_take_away_their_own_staff_role_but_may_change_anyone_elses(
    unit,
) -> None:
    async def add(r, name: str):
        return await membership.add_member(r, name=name, role=Role.STAFF, now=NOW, by=OPERATOR)

    sam, kim = await unit(lambda r: add(r, "Sam")), await unit(lambda r: add(r, "Kim"))
    sam_ref = MemberRef(sam.id, "Sam", Role.STAFF)
    with pytest.raises(MembershipError, match="your own staff role"):
        await unit(lambda r: membership.set_role(r, sam.id, Role.MEMBER, NOW, sam_ref))
    changed = await unit(lambda r: membership.set_role(r, kim.id, Role.MEMBER, NOW, sam_ref))
    assert changed.role == Role.MEMBER


async def test_an_invite_is_withdrawn_by_its_number_too(unit) -> None:
    invite = await unit(
        lambda r: membership.create_invite(
            r, role=Role.MEMBER, valid_for=None, now=NOW, by=OPERATOR
        )
    )
    await unit(lambda r: membership.revoke_numbered_invite(r, invite.id, NOW, OPERATOR))
    [status] = await unit(lambda r: membership.list_invites(r, NOW))
    assert status.state == InviteState.REVOKED
    with pytest.raises(MembershipError, match="no invite #999"):
        await unit(lambda r: membership.revoke_numbered_invite(r, 999, NOW, OPERATOR))
