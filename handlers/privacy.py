"""Data rights in chat: /mydata sends a member a file of everything stored about them; /forget
erases them after they confirm (rules: services/privacy.py, which the command line calls too).

The confirmation is a flow step as well as a bound button: the button works only while the
conversation still waits at that step, so a button from an earlier /forget, or one pressed after
"Keep my data", erases nothing. Erasing deletes that step with every other trace of the person,
and the handler writes nothing after it, so nothing of theirs is re-created.
"""

from __future__ import annotations

import json

from bot.context import Context
from bot.flows import Flow, Step
from bot.messages import Choices, File, InboundEvent, Reply, Text, in_place
from bot.payloads import Payload, offer
from bot.router import Access, Router
from services import privacy

router = Router("privacy")

MEDIA_TYPE = "application/json"
YOUR_DATA = "Here is everything I hold about you, as a JSON file."
EXPLAIN_FORGET = (
    "Erasing removes, at once and for good, your membership and everything linked to you: "
    "accounts, settings, sessions (coaches are told), directory entry, introductions, answers "
    "and questions to the team.\n"
    "What stays is linked to nobody: your check-in answers, and a line in the staff audit trail "
    "under a random pseudonym."
)
ERASE = "Erase everything"
KEEP = "Keep my data"
KEPT = "Nothing was erased: your data stays as it was."
GOODBYE = (
    "Done: everything I held about you is erased. Goodbye, and thank you for being part of the "
    "programme. You can still ask me questions as a guest."
)
OLD_BUTTON = "That button is from an earlier message. Send /forget again if you want to erase."


class ForgetFlow(Flow, name="forget"):
    """Between /forget and the answer to its question."""

    CONFIRM = Step()


class ConfirmErase(Payload, prefix="forget:erase"):
    """ "Erase everything", pressed on /forget's question."""


class KeepData(Payload, prefix="forget:keep"):
    """ "Keep my data", pressed on /forget's question."""


@router.command(
    "mydata",
    summary="Get a file of everything I hold about you",
    access=Access.MEMBERS,
    menu="Download my data",
    private_only=True,
)
async def my_data(event: InboundEvent, ctx: Context) -> list[Reply]:
    assert event.member is not None
    exported = await privacy.export(ctx.repos, event.member.id, ctx.now)
    content = json.dumps(exported, ensure_ascii=False, indent=2).encode()
    return [Text(YOUR_DATA), File(f"cedp-mydata-{ctx.now:%Y-%m-%d}.json", content, MEDIA_TYPE)]


@router.command(
    "forget",
    summary="Erase everything I hold about you",
    access=Access.MEMBERS,
    menu="Erase my data",
    private_only=True,
)
async def forget(event: InboundEvent, ctx: Context) -> list[Reply]:
    await ctx.conversation.go_to(ForgetFlow.CONFIRM)
    return [Choices(EXPLAIN_FORGET, (offer(ERASE, ConfirmErase()), offer(KEEP, KeepData())))]


def _asked(ctx: Context) -> bool:
    state = ctx.conversation.state
    return state is not None and (state.flow, state.step) == ForgetFlow.CONFIRM.key


@router.choice(ConfirmErase, access=Access.MEMBERS, private_only=True)
async def erase_confirmed(event: InboundEvent, ctx: Context, pressed: ConfirmErase) -> list[Reply]:
    assert event.member is not None
    if not _asked(ctx):
        return [in_place(event, OLD_BUTTON)]
    await ctx.conversation.finish()
    await privacy.erase(ctx.repos, event.member.id, ctx.now, by=event.member)
    return [in_place(event, GOODBYE)]


@router.choice(KeepData, access=Access.MEMBERS, private_only=True)
async def keep_data(event: InboundEvent, ctx: Context, pressed: KeepData) -> list[Reply]:
    if _asked(ctx):
        await ctx.conversation.finish()
    return [in_place(event, KEPT)]
