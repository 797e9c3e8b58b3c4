"""Multi-step conversations name their steps in one typed place, in the spirit of aiogram's
`StatesGroup`:

    class JoinFlow(Flow, name="join"):
        CODE = Step()

`JoinFlow.CODE` is stored as flow "join", step "code". `Router.step(JoinFlow.CODE)` handles what
the person types while the conversation waits there; `ctx.conversation.go_to(JoinFlow.CODE)`
moves it there.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")  # flow and step columns hold 64 characters
_FLOWS: set[str] = set()


class Step:
    """One step of a `Flow`; named after the attribute that holds it, in lower case."""

    def __init__(self) -> None:
        self._flow: type[Flow] | None = None
        self.name = ""

    def __set_name__(self, owner: type[Any], attribute: str) -> None:
        if not _NAME.match(attribute.lower()):
            raise TypeError(f"step name {attribute!r} cannot be stored")
        self._flow, self.name = owner, attribute.lower()

    @property
    def flow(self) -> str:
        if self._flow is None:
            raise TypeError("a Step is declared inside a Flow")
        return self._flow.name

    @property
    def key(self) -> tuple[str, str]:
        """(flow, step), as stored with the conversation."""
        return self.flow, self.name

    def __repr__(self) -> str:
        return f"Step({self.flow}/{self.name})"


class Flow:
    """Base of a capability's flow; its name is stored with the conversation, so it is unique."""

    name: ClassVar[str]

    def __init_subclass__(cls, *, name: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _NAME.match(name) or name in _FLOWS:
            raise TypeError(f"flow name {name!r} is taken or cannot be stored")
        _FLOWS.add(name)
        cls.name = name
