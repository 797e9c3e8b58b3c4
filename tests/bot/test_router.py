"""Routers declare routes; the route table resolves events and builds /help from them."""

from __future__ import annotations

import pytest

from bot.flows import Flow, Step
from bot.messages import (
    ChoicePress,
    CommandMessage,
    Conversation,
    InboundEvent,
    Reply,
    Sender,
    TextMessage,
)
from bot.payloads import Payload
from bot.router import Access, MenuChoice, Router, RouteTable
from domain.people import MemberRef, Role
from storage.conversations import StoredState


class Book(Payload, prefix="test-router:book"):
    slot: int


class Confirm(Payload, prefix="test-router:confirm"):
    slot: int


class Unrouted(Payload, prefix="test-router:unrouted"):
    pass


class JoinFlow(Flow, name="test-router-join"):
    CODE = Step()


async def _noop(event, ctx) -> list[Reply]:
    return []


async def _pressed(event, ctx, payload) -> list[Reply]:
    return []


def _event(content) -> InboundEvent:
    return InboundEvent(Sender("test", "u1"), Conversation("test", "u1"), content)


def _member(role: Role) -> MemberRef:
    return MemberRef(1, "M", role)


@pytest.fixture
def table() -> RouteTable:
    core = Router("core")
    core.command("help", summary="Help", menu="Help")(_noop)
    core.command("join", summary="Join", hide_from_members=True)(_noop)
    core.command("me", summary="Me", access=Access.MEMBERS)(_noop)
    core.command("slots", summary="Slots", access=Access.COACHES)(_noop)
    core.command("invite", summary="Invite", access=Access.STAFF)(_noop)
    core.choice(Book)(_pressed)
    core.choice(Confirm)(_pressed)
    core.step(JoinFlow.CODE)(_noop)
    core.text()(_noop)
    return RouteTable([core])


def test_commands_resolve_by_name_and_unknown_ones_to_nothing(table: RouteTable) -> None:
    assert table.resolve(_event(CommandMessage("help")), None).name == "command:help"
    assert table.resolve(_event(CommandMessage("nope")), None) is None


def test_reachable_lists_every_route_by_how_it_is_reached_and_cannot_be_changed(
    table: RouteTable,
) -> None:
    reachable = table.reachable()

    assert [route.name for route in reachable.commands.values()] == [
        f"command:{name}" for name in ("help", "join", "me", "slots", "invite")
    ]
    assert reachable.commands["invite"].access is Access.STAFF
    assert {kind: route.name for kind, route in reachable.choices.items()} == {
        Book: "choice:test-router:book",
        Confirm: "choice:test-router:confirm",
    }
    assert reachable.steps[JoinFlow.CODE.key].name == "step:test-router-join/code"
    assert reachable.text is not None and reachable.text.name == "text"
    with pytest.raises(TypeError):
        reachable.commands["invite"] = reachable.commands["help"]  # type: ignore[index]


def _press(value: Payload | None) -> InboundEvent:
    return _event(ChoicePress("as the platform sent it", value=value))


def test_a_choice_resolves_by_the_kind_of_its_payload(table: RouteTable) -> None:
    assert table.resolve(_press(Confirm(42)), None).name == "choice:test-router:confirm"
    assert table.resolve(_press(Book(7)), None).name == "choice:test-router:book"
    assert table.resolve(_press(Unrouted()), None) is None
    assert table.resolve(_press(None), None) is None  # a kind this bot no longer makes


async def test_a_choice_handler_receives_the_typed_payload() -> None:
    received = []

    async def confirm(event, ctx, pressed: Confirm) -> list[Reply]:
        received.append(pressed)
        return []

    router = Router("booking")
    router.choice(Confirm)(confirm)
    route = RouteTable([router]).resolve(_press(Confirm(42)), None)
    await route.handler(_press(Confirm(42)), None)
    assert received == [Confirm(42)]


def test_a_menu_choice_resolves_to_its_command(table: RouteTable) -> None:
    assert table.resolve(_press(MenuChoice("help")), None).name == "command:help"
    assert table.resolve(_press(MenuChoice("gone")), None) is None


def test_text_goes_to_the_waiting_step_or_else_the_free_text_handler(table: RouteTable) -> None:
    text = _event(TextMessage("ABCD-EFGH"))
    waiting = StoredState("test-router-join", "code", {})
    assert table.resolve(text, waiting).name == "step:test-router-join/code"
    assert table.resolve(text, None).name == "text"
    assert table.resolve(text, StoredState("old-flow", "gone", {})).name == "text"


def test_commands_take_priority_over_a_waiting_step(table: RouteTable) -> None:
    state = StoredState("test-router-join", "code", {})
    assert table.resolve(_event(CommandMessage("help")), state).name == "command:help"


def test_help_lists_only_what_each_role_may_use(table: RouteTable) -> None:
    def names(member: MemberRef | None) -> list[str]:
        return [info.name for info in table.commands_for(member)]

    assert names(None) == ["help", "join"]
    assert names(_member(Role.MEMBER)) == ["help", "me"]
    assert names(_member(Role.COACH)) == ["help", "me", "slots"]
    assert names(_member(Role.STAFF)) == ["help", "me", "slots", "invite"]


def test_two_capabilities_cannot_claim_the_same_command() -> None:
    first, second = Router("first"), Router("second")
    first.command("book", summary="Book")(_noop)
    second.command("book", summary="Book again")(_noop)
    with pytest.raises(ValueError, match="'second' registers \\['book'\\] again"):
        RouteTable([first, second])


def test_two_capabilities_cannot_claim_the_same_payload_kind() -> None:
    first, second = Router("first"), Router("second")
    first.choice(Book)(_pressed)
    second.choice(Book)(_pressed)
    with pytest.raises(ValueError, match="'second' registers \\['test-router:book'\\] again"):
        RouteTable([first, second])


def test_only_one_free_text_handler() -> None:
    first, second = Router("first"), Router("second")
    first.text()(_noop)
    second.text()(_noop)
    with pytest.raises(ValueError, match="second free-text handler"):
        RouteTable([first, second])


@pytest.mark.parametrize(
    ("access", "allowed"),
    [
        (Access.ANYONE, {None, Role.MEMBER, Role.COACH, Role.STAFF}),
        (Access.MEMBERS, {Role.MEMBER, Role.COACH, Role.STAFF}),
        (Access.COACHES, {Role.COACH, Role.STAFF}),
        (Access.STAFF, {Role.STAFF}),
    ],
)
def test_access_levels(access: Access, allowed: set[Role | None]) -> None:
    for role in (None, *Role):
        member = _member(role) if role else None
        assert access.allows(member) is (role in allowed)
