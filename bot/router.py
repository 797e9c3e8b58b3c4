"""Routers declare what each capability answers; the route table resolves an event to a handler.

Each handlers/ module owns a `Router` and registers commands, choice payload kinds, conversation
steps and (for the FAQ) free text. The core includes every router into one `RouteTable`, which
also builds /help and the main menu from what was registered, so a capability's entry appears
exactly when its handler exists.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, TypeVar

from bot.flows import Step
from bot.messages import ChoicePress, CommandMessage, InboundEvent, Reply
from bot.payloads import Payload, Slug
from domain.people import MemberRef, Role

if TYPE_CHECKING:
    from bot.context import Context
    from storage.conversations import StoredState

Handler = Callable[[InboundEvent, "Context"], Awaitable[list[Reply]]]
P = TypeVar("P", bound=Payload)
ChoiceHandler = Callable[[InboundEvent, "Context", P], Awaitable[list[Reply]]]


class MenuChoice(Payload, prefix="menu"):
    """A main-menu entry: pressing it runs the command, as if typed without arguments."""

    command: Annotated[str, Slug(re.compile(r"[a-z][a-z0-9_]*"), 32)]


class Access(StrEnum):
    """Who may use a route; checked in one place, the `authorize` middleware."""

    ANYONE = "anyone"
    MEMBERS = "members"
    COACHES = "coaches"
    STAFF = "staff"

    def allows(self, member: MemberRef | None) -> bool:
        if self is Access.ANYONE:
            return True
        if member is None:
            return False
        if self is Access.MEMBERS:
            return True
        if self is Access.COACHES:
            return member.role in {Role.COACH, Role.STAFF}
        return member.role is Role.STAFF


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    handler: Handler
    access: Access
    private_only: bool = False


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """What /help and the main menu show for a command."""

    name: str
    summary: str
    access: Access
    menu_label: str | None
    hide_from_members: bool


@dataclass(frozen=True, slots=True)
class Reachable:
    """Every route of a table by how a person reaches it, read-only: so a check over all routes
    (tests/handlers/test_access.py) covers a route the day it is registered, unlisted."""

    commands: Mapping[str, Route]
    choices: Mapping[type[Payload], Route]
    steps: Mapping[tuple[str, str], Route]  # (flow, step), as stored with the conversation
    text: Route | None


class Router:
    """The routes of one capability."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: dict[str, tuple[CommandInfo, Route]] = {}
        self.choices: dict[type[Payload], Route] = {}
        self.steps: dict[tuple[str, str], Route] = {}
        self.text_route: Route | None = None

    def command(
        self,
        name: str,
        *,
        summary: str,
        access: Access = Access.ANYONE,
        menu: str | None = None,
        hide_from_members: bool = False,
        private_only: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register `/name`; `menu` puts it on the main menu under that label.

        `private_only` routes touch personal data and are refused in group chats and channels.
        """

        def register(handler: Handler) -> Handler:
            info = CommandInfo(name, summary, access, menu, hide_from_members)
            route = Route(f"command:{name}", handler, access, private_only)
            self.commands[name] = (info, route)
            return handler

        return register

    def choice(
        self, kind: type[P], *, access: Access = Access.ANYONE, private_only: bool = False
    ) -> Callable[[ChoiceHandler[P]], ChoiceHandler[P]]:
        """Register presses of payloads of `kind`; the handler gets the typed payload."""

        def register(handler: ChoiceHandler[P]) -> ChoiceHandler[P]:
            async def pressed(event: InboundEvent, ctx: Context) -> list[Reply]:
                content = event.content
                assert isinstance(content, ChoicePress) and isinstance(content.value, kind)
                return await handler(event, ctx, content.value)

            route = Route(f"choice:{kind.prefix}", pressed, access, private_only)
            self.choices[kind] = route
            return handler

        return register

    def step(self, step: Step, *, access: Access = Access.ANYONE) -> Callable[[Handler], Handler]:
        """Register the handler for text typed while a conversation waits at `step`."""

        def register(handler: Handler) -> Handler:
            self.steps[step.key] = Route(f"step:{step.flow}/{step.name}", handler, access)
            return handler

        return register

    def text(self, *, access: Access = Access.ANYONE) -> Callable[[Handler], Handler]:
        """Register the handler for free text outside any conversation (one per bot)."""

        def register(handler: Handler) -> Handler:
            self.text_route = Route("text", handler, access)
            return handler

        return register


class RouteTable:
    """Every router included; refuses two capabilities claiming the same command or payload."""

    def __init__(self, routers: Iterable[Router]) -> None:
        self._commands: dict[str, tuple[CommandInfo, Route]] = {}
        self._choices: dict[type[Payload], Route] = {}
        self._steps: dict[tuple[str, str], Route] = {}
        self._text: Route | None = None
        for router in routers:
            self._include(router)

    def _include(self, router: Router) -> None:
        for table, entries in (
            (self._commands, router.commands),
            (self._choices, router.choices),
            (self._steps, router.steps),
        ):
            clash = [getattr(key, "prefix", key) for key in table.keys() & entries.keys()]
            if clash:
                raise ValueError(f"router {router.name!r} registers {sorted(clash)} again")
            table.update(entries)  # type: ignore[attr-defined]
        if router.text_route is not None:
            if self._text is not None:
                raise ValueError(f"router {router.name!r} registers a second free-text handler")
            self._text = router.text_route

    def resolve(self, event: InboundEvent, state: StoredState | None) -> Route | None:
        """The route for an event, or None for an unknown command or a choice no route takes
        (a menu entry or a capability that is gone)."""
        content = event.content
        if isinstance(content, ChoicePress):
            if content.value is None:
                return None
            if not isinstance(content.value, MenuChoice):
                return self._choices.get(type(content.value))
            content = CommandMessage(content.value.command)  # a menu entry runs its command
        if isinstance(content, CommandMessage):
            found = self._commands.get(content.name)
            return found[1] if found else None
        if state is not None and (state.flow, state.step) in self._steps:
            return self._steps[(state.flow, state.step)]
        return self._text

    def reachable(self) -> Reachable:
        """Every route: typed commands, pressed payload kinds, conversation steps, free text."""
        return Reachable(
            MappingProxyType({name: route for name, (_, route) in self._commands.items()}),
            MappingProxyType(self._choices),
            MappingProxyType(self._steps),
            self._text,
        )

    def command_names(self) -> frozenset[str]:
        """Every command registered, whoever may use it (access is checked when it runs)."""
        return frozenset(self._commands)

    def commands_for(self, member: MemberRef | None) -> Sequence[CommandInfo]:
        """The commands this person may use, in registration order."""
        return [
            info
            for info, route in self._commands.values()
            if route.access.allows(member) and not (member and info.hide_from_members)
        ]
