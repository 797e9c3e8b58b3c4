"""A capability's refusals said to the person, not raised: its rules refuse before they change
anything, so the handler's reply is simply what they said.

    polite = refusals_said(IntrosError, sorry)

    @router.choice(Accept, access=Access.MEMBERS)
    @polite
    async def accept(event, ctx, pressed): ...
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from bot.messages import Reply, Text
from domain.errors import Refusal

Params = ParamSpec("Params")
R = TypeVar("R", bound=Refusal)
Handler = Callable[Params, Awaitable[list[Reply]]]


def refusals_said(
    kind: type[R], words: Callable[[R], str] = str
) -> Callable[[Handler[Params]], Handler[Params]]:
    """A decorator: a `kind` refusal raised by the handler becomes its reply, in `words`."""

    def wrap(handler: Handler[Params]) -> Handler[Params]:
        @functools.wraps(handler)
        async def said(*args: Params.args, **kwargs: Params.kwargs) -> list[Reply]:
            try:
                return await handler(*args, **kwargs)
            except kind as error:
                return [Text(words(error))]

        return said

    return wrap
