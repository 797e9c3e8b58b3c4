"""Who reaches what: every chat route the bot registers, sent by everyone below its access level
through the real pipeline, is refused politely and its handler never runs; and every command line
command is classified, so a new one cannot slip past these checks unseen.

The command line is the operator's tool, run with the server's settings: whoever runs it is staff,
so no member reaches it through chat. What must hold instead: where a command that changes data
has a chat twin (by name, or declared below), that twin is staff-only; and a command that acts as
a named person (`--as`, or the terminal chat's `--user`) refuses a member or a coach as chat does.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.adapters.session import render_plain
from bot.adapters.testing import TestChat
from bot.cli import every_command
from bot.commandline import CliCommands, Command, CommandGroup
from bot.context import Context
from bot.core import Bot
from bot.messages import InboundEvent, Reply, Text
from bot.middleware import (
    DEFAULT_MIDDLEWARE,
    JOIN_FIRST,
    NOT_ALLOWED,
    Middleware,
    authorize,
)
from bot.payloads import Payload, kinds
from bot.router import Access, Handler, MenuChoice, Reachable, Route, Router, RouteTable
from bot.settings import Settings
from domain.people import Role
from handlers import all_routers
from storage.conversations import ConversationKey, StoredState
from storage.repositories import Repositories
from tests.conftest import FakeClock, join_as, unit
from tests.handlers.conftest import Cli, Ran, succeeded
from tests.handlers.pulse_checkins import closed_with
from tests.handlers.stored import stored_rows, stored_rows_at

# The levels above each sender's, written out rather than asked of `Access.allows`, which is
# what is under test.
ABOVE: Mapping[Role | None, frozenset[Access]] = {
    None: frozenset({Access.MEMBERS, Access.COACHES, Access.STAFF}),
    Role.MEMBER: frozenset({Access.COACHES, Access.STAFF}),
    Role.COACH: frozenset({Access.STAFF}),
}
WHO = {
    Access.MEMBERS: "programme members",
    Access.COACHES: "coaches",
    Access.STAFF: "programme staff",
}
AT_LEVEL: Mapping[Access, Role | None] = {  # someone at exactly each level
    Access.ANYONE: None,
    Access.MEMBERS: Role.MEMBER,
    Access.COACHES: Role.COACH,
    Access.STAFF: Role.STAFF,
}
TYPED = "hello there, 12 o'clock"  # what a person types at a conversation step
people = itertools.count()


def refusal(sender: Role | None, access: Access) -> list[Reply]:
    """What authorize answers: a guest is told how to join, a member what they are not."""
    text = JOIN_FIRST if sender is None else NOT_ALLOWED
    return [Text(text.format(who=WHO[access]))]


@dataclass
class RouteSpy:
    """Two observers around the one role check: the route each event reached it with, and the
    routes whose handler it let through."""

    checked: list[str] = field(default_factory=list)
    handled: list[str] = field(default_factory=list)

    async def before_check(
        self, event: InboundEvent, ctx: Context, call_next: Handler
    ) -> list[Reply]:
        assert ctx.route is not None
        self.checked.append(ctx.route.name)
        return await call_next(event, ctx)

    async def after_check(
        self, event: InboundEvent, ctx: Context, call_next: Handler
    ) -> list[Reply]:
        assert ctx.route is not None
        self.handled.append(ctx.route.name)
        return await call_next(event, ctx)

    def pipeline(self) -> tuple[Middleware, ...]:
        """The bot's own middleware, with the observers either side of `authorize`."""
        at = DEFAULT_MIDDLEWARE.index(authorize)
        return (
            *DEFAULT_MIDDLEWARE[:at],
            self.before_check,
            authorize,
            self.after_check,
            *DEFAULT_MIDDLEWARE[at + 1 :],
        )

    def clear(self) -> None:
        self.checked.clear()
        self.handled.clear()


@pytest.fixture
def spy() -> RouteSpy:
    return RouteSpy()


@pytest.fixture
async def bot(settings: Settings, clock: FakeClock, spy: RouteSpy) -> AsyncIterator[Bot]:
    """Every route and router of the product, no rate limit in the way of ~200 events."""
    started = await Bot.start(
        settings.model_copy(update={"rate_limit_per_minute": 100_000}),
        clock=clock,
        middleware=spy.pipeline(),
    )
    yield started
    await started.close()


Send = Callable[[Bot, TestChat], Awaitable[list[Reply]]]


class Mechanism(StrEnum):
    COMMAND = "typed command"
    MENU = "main-menu entry"
    CHOICE = "pressed payload"
    STEP = "text at a step"
    TEXT = "free text"


@dataclass(frozen=True, slots=True)
class Way:
    """One way a person reaches a route."""

    route: Route
    mechanism: Mechanism
    how: str
    send: Send


def _typed(text: str) -> Send:
    async def send(bot: Bot, chat: TestChat) -> list[Reply]:
        return await chat.send(text)

    return send


def _pressed(payload: Payload) -> Send:
    """Press `payload` bound to the presser, as if the bot had shown it to them: so the press
    gets past the binding check and meets the role check."""

    async def send(bot: Bot, chat: TestChat) -> list[Reply]:
        return await chat.press_bound(payload)

    return send


def _typed_at(flow: str, step: str) -> Send:
    """Put the person's conversation at `flow`/`step` through the conversation storage, then
    type."""

    async def send(bot: Bot, chat: TestChat) -> list[Reply]:
        key = ConversationKey(
            chat.sender.platform, chat.conversation.external_id, chat.sender.external_id
        )
        expires = bot.services.clock() + timedelta(hours=1)

        async def save(repos: Repositories) -> None:
            await repos.conversations.save(key, StoredState(flow, step, {}), expires)

        await unit(bot.services.database, save)
        return await chat.send(TYPED)

    return send


def ways_in(reachable: Reachable) -> Iterator[Way]:
    """Every way in: each command typed and from the menu, one payload per kind built from its
    declared fields (`Payload.widest`, which fails loudly for a kind it cannot build), text at
    each step, and free text."""
    for name, route in reachable.commands.items():
        yield Way(route, Mechanism.COMMAND, f"/{name}", _typed(f"/{name}"))
        yield Way(route, Mechanism.MENU, f"menu:{name}", _pressed(MenuChoice(name)))
    for kind, route in reachable.choices.items():
        yield Way(route, Mechanism.CHOICE, kind.prefix, _pressed(kind.widest()))
    for (flow, step), route in reachable.steps.items():
        yield Way(route, Mechanism.STEP, f"{flow}/{step}", _typed_at(flow, step))
    if reachable.text is not None:
        yield Way(reachable.text, Mechanism.TEXT, "free text", _typed(TYPED))


async def someone(bot: Bot, role: Role | None) -> TestChat:
    """A new person in a direct message: a guest, or joined with `role`."""
    chat = TestChat(bot, user_id=f"person-{next(people)}", display_name="Pat Person")
    if role is not None:
        await join_as(bot, chat, role)
        await chat.send("/help")  # a member's next message notes the platform they write from
    return chat


# Chat: the refusals, the converse, and that the enumeration found what is there


@pytest.mark.parametrize("sender", [None, Role.MEMBER, Role.COACH], ids=str)
async def test_no_route_above_the_senders_role_runs_its_handler(
    bot: Bot, spy: RouteSpy, sender: Role | None
) -> None:
    chat = await someone(bot, sender)
    ways = [w for w in ways_in(bot.services.routes.reachable()) if w.route.access in ABOVE[sender]]
    before = await stored_rows(bot.services.database, besides=frozenset({"conversation_states"}))

    wrong = []
    for way in ways:
        spy.clear()
        replies = await way.send(bot, chat)
        met = (replies, spy.checked, spy.handled)
        if met != (refusal(sender, way.route.access), [way.route.name], []):
            wrong.append(f"{way.mechanism} {way.how}: {render_plain(replies)!r}, {spy}")

    assert wrong == []
    assert len(ways) >= 40  # the meta-test below counts them by level
    assert await stored_rows(bot.services.database, besides=frozenset({"conversation_states"})) == (
        before
    )


@pytest.mark.parametrize("access", list(Access))
async def test_someone_at_a_routes_level_reaches_its_handler_by_every_mechanism(
    bot: Bot, spy: RouteSpy, access: Access
) -> None:
    first: dict[Mechanism, Way] = {}  # the first route of this level for each way in
    for way in ways_in(bot.services.routes.reachable()):
        if way.route.access is access:
            first.setdefault(way.mechanism, way)
    assert {Mechanism.COMMAND, Mechanism.MENU}.issubset(first)

    for way in first.values():
        chat = await someone(bot, AT_LEVEL[access])  # in no conversation yet
        spy.clear()
        await way.send(bot, chat)

        assert spy.checked == spy.handled == [way.route.name], way.how


def _own_routes(router: Router) -> list[Route]:
    """A router's routes, whatever way each is reached."""
    commands = [route for _, route in router.commands.values()]
    text = [router.text_route] if router.text_route else []
    return [*commands, *router.choices.values(), *router.steps.values(), *text]


async def test_the_enumeration_takes_in_every_router_and_every_payload_kind(bot: Bot) -> None:
    reachable = bot.services.routes.reachable()
    routes = [way.route for way in ways_in(reachable) if way.mechanism is not Mechanism.MENU]

    for router in all_routers():
        own = _own_routes(router)
        assert own and all(route in routes for route in own), router.name
    declared = {kind for kind in kinds() if not kind.__module__.startswith("tests.")}
    assert declared == {*reachable.choices, MenuChoice}  # no kind of the product goes unrouted
    by_level = Counter(route.access for route in routes)
    assert by_level[Access.STAFF] >= 35
    assert by_level[Access.COACHES] >= 5
    assert by_level[Access.MEMBERS] >= 80
    assert len(reachable.commands) >= 20 and len(reachable.steps) >= 30


# The command line


class Reach(StrEnum):
    OPERATOR = "operator"  # whoever runs it is the operator, with the server's settings
    ACTS_AS = "acts-as"  # acts as a person it is given, through the same role check as chat


@dataclass(frozen=True, slots=True)
class Person:
    member_id: int
    account: str  # their console account, as `cedp-bot chat --user` takes it


@dataclass(frozen=True, slots=True)
class Attempt:
    """What running an acts-as command as someone did, and how many refusals that should be."""

    ran: Ran
    tries: int
    refusal: str

    def refusals(self) -> int:
        return (self.ran.out + self.ran.err).count(self.refusal)


@dataclass(frozen=True, slots=True)
class Bench:
    """Where an acts-as command is tried: its set-up files in `workspace`, what it may write
    in `out`."""

    cedp_bot: Cli
    database_url: str
    workspace: Path
    out: Path


# Sets up what the command needs to run as this person, then returns how to run it.
Prepare = Callable[[Bench, Person], Callable[[], Attempt]]


def product_routes() -> Reachable:
    """The routes of the table `Bot.start` builds, for tests that start no bot."""
    return RouteTable(all_routers()).reachable()


def _staff_commands() -> list[str]:
    commands = product_routes().commands
    return [name for name, route in commands.items() if route.access is Access.STAFF]


def _chat_as(bench: Bench, person: Person) -> Callable[[], Attempt]:
    """Every staff command typed into the terminal chat."""
    typed = _staff_commands()
    # The first start stores the payload key, a first message the platform they write from.
    succeeded(bench.cedp_bot, "chat", "--user", person.account)

    def run() -> Attempt:
        lines = "".join(f"/{name}\n" for name in typed)
        ran = bench.cedp_bot("chat", "--user", person.account, input=lines)
        return Attempt(ran, len(typed), NOT_ALLOWED.format(who=WHO[Access.STAFF]))

    return run


def _results_as(bench: Bench, person: Person) -> Callable[[], Attempt]:
    """A released check-in's results, with the chart and the table written to files."""
    checkin = closed_with(bench.cedp_bot, bench.database_url, bench.workspace, 5)

    def run() -> Attempt:
        files = ("--png", str(bench.out / "chart.png"), "--csv", str(bench.out / "counts.csv"))
        ran = bench.cedp_bot(
            "pulse", "results", str(checkin), "--as", str(person.member_id), *files
        )
        return Attempt(ran, 1, "Only programme staff can see check-in results.")

    return run


class Use(NamedTuple):
    """How a command line command is reached, and what that asks of chat."""

    reach: Reach
    writes: bool = False  # changes stored data (or the knowledge base, or a platform's set-up)
    twins: tuple[str, ...] = ()  # chat routes that do the same, where the names differ
    prepare: Prepare | None = None  # for an acts-as command: how to try it as someone


def operator(*, writes: bool = False, twins: tuple[str, ...] = ()) -> Use:
    return Use(Reach.OPERATOR, writes, twins)


def acts_as(prepare: Prepare) -> Use:
    return Use(Reach.ACTS_AS, prepare=prepare)


CLI: Mapping[str, Use] = {
    "chat": acts_as(_chat_as),
    "serve": operator(),
    "telegram set-webhook": operator(writes=True),
    "db upgrade": operator(writes=True),
    "db current": operator(),
    "db purge": operator(writes=True),
    "jobs list": operator(),
    "ask": operator(),
    "kb check": operator(),
    "kb eval": operator(),
    "kb unanswered": operator(),
    "kb answer": operator(writes=True, twins=("choice:team:answer", "step:team-answer/text")),
    "kb report": operator(),
    "kb suggestions": operator(),
    "kb accept": operator(writes=True, twins=("choice:learn:add",)),
    "kb export-alternates": operator(writes=True),
    "invites create": operator(writes=True, twins=("command:invite", "choice:invite")),
    "invites list": operator(),
    "invites revoke": operator(writes=True),
    "members list": operator(),
    "members add": operator(writes=True),
    "members remove": operator(writes=True),
    "members export": operator(),
    "members erase": operator(writes=True),
    "members set-role": operator(writes=True),
    "members tag": operator(writes=True),
    "broadcast send": operator(writes=True, twins=("step:broadcast/confirm",)),
    "broadcast status": operator(),
    "broadcast list": operator(),
    "broadcast cancel": operator(writes=True, twins=("choice:bc:stop",)),
    "broadcast resend": operator(writes=True),
    "coaching import": operator(writes=True),
    "coaching export": operator(),
    "coaching bookings": operator(),
    "coaching utilisation": operator(),
    "intros stats": operator(),
    "intros rounds": operator(),
    "intros suspend": operator(writes=True),
    "intros restore": operator(writes=True),
    "intros round start": operator(writes=True),
    "intros round stop": operator(writes=True),
    "pulse create": operator(writes=True, twins=("choice:pulse:create",)),
    "pulse list": operator(),
    "pulse close": operator(writes=True, twins=("choice:pulse:close-yes",)),
    "pulse results": acts_as(_results_as),
    "audit list": operator(),
    "audit verify": operator(),
}
IDENTITY_FLAGS = frozenset({"--as", "--user"})  # the person a command acts as


def _walk(
    registry: CliCommands | CommandGroup, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, Command]]:
    for command in registry.commands:
        yield " ".join((*path, command.name)), command
    for group in registry.groups:
        yield from _walk(group, (*path, group.name))


def cli_commands() -> dict[str, Command]:
    """Every command `cedp-bot` offers, by its words: "pulse results"."""
    return dict(itertools.chain.from_iterable(_walk(registry) for registry in every_command()))


def test_every_cli_command_is_classified_and_acts_as_when_it_takes_a_person() -> None:
    commands = cli_commands()

    assert sorted(commands) == sorted(CLI)
    takes_a_person = {
        name
        for name, command in commands.items()
        if any(IDENTITY_FLAGS.intersection(argument.flags) for argument in command.arguments)
    }
    assert takes_a_person == {name for name, use in CLI.items() if use.reach is Reach.ACTS_AS}


def _same_name(chat_command: str, cli_word: str) -> bool:
    """`/broadcast` and `broadcast ...`, `/invite` and `invites ...`."""
    return cli_word in {chat_command, f"{chat_command}s"} or chat_command == f"{cli_word}s"


def test_the_chat_twin_of_a_command_that_changes_data_is_staff_only() -> None:
    reachable = product_routes()
    by_name = {way.route.name: way.route for way in ways_in(reachable)}
    writers = [name for name, use in CLI.items() if use.writes]

    twins = {
        f"command:{chat}"
        for chat in reachable.commands
        for writer in writers
        if _same_name(chat, writer.split()[0])
    }
    declared = {twin for name in writers for twin in CLI[name].twins}
    assert {"command:broadcast", "command:pulse", "command:invite"} <= twins  # found by name
    assert declared <= by_name.keys()  # no declared twin is stale
    assert {twin: by_name[twin].access for twin in twins | declared} == dict.fromkeys(
        twins | declared, Access.STAFF
    )


def _person(cedp_bot: Cli, role: Role) -> Person:
    account = f"{role}-{next(people)}"
    added = succeeded(
        cedp_bot,
        "members",
        "add",
        "--name",
        f"Pat {role}",
        "--role",
        role,
        "--identity",
        f"console:{account}",
    )
    return Person(int(added.split("\t")[0]), account)


ACTING = [name for name, use in CLI.items() if use.reach is Reach.ACTS_AS]


@pytest.fixture
def bench(cedp_bot: Cli, database_url: str, tmp_path: Path) -> Bench:
    out = tmp_path / "out"
    out.mkdir()
    return Bench(cedp_bot, database_url, tmp_path, out)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.COACH])
@pytest.mark.parametrize("name", ACTING)
def test_acting_as_a_member_or_a_coach_is_refused_and_writes_nothing(
    bench: Bench, name: str, role: Role
) -> None:
    prepare = CLI[name].prepare
    assert prepare is not None
    attempt = prepare(bench, _person(bench.cedp_bot, role))
    before = stored_rows_at(bench.database_url)

    tried = attempt()

    assert tried.refusals() == tried.tries > 0, tried.ran
    assert "Traceback" not in tried.ran.err
    assert stored_rows_at(bench.database_url) == before
    assert list(bench.out.iterdir()) == []


@pytest.mark.parametrize("name", ACTING)
def test_acting_as_staff_gets_through(bench: Bench, name: str) -> None:
    prepare = CLI[name].prepare
    assert prepare is not None
    tried = prepare(bench, _person(bench.cedp_bot, Role.STAFF))()

    assert tried.ran.code == 0, tried.ran.err
    assert tried.refusals() == 0
