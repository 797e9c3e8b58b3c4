"""Malformed input never gives a 5xx: mutated genuine payloads, with a valid secret or signature.

Both platforms retry a 5xx, so a payload that makes the server fail would come back forever.
Whatever arrives, the answer is 2xx or 4xx, nothing of a refused request is stored, and nothing
that was accepted leaves an error or a traceback in the log when it is handled.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, or_, select

from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH
from storage.models import Delivery
from tests.e2e.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET, Served
from tests.e2e.payloads import (
    FORM,
    JSON,
    slack_block_action,
    slack_dm_event,
    slack_event,
    slack_mention_event,
    slack_signature_headers,
    slack_slash_command,
    telegram_callback,
    telegram_message,
)

EXAMPLES = int(os.environ.get("CEDP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TELEGRAM_HEADERS = {SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": JSON}
_ids = itertools.count(1_000)

# What a mutation may put in place of a value: the kinds of input the issue found breaking.
odd_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs", "Cc", "So"]),
    max_size=20,
) | st.sampled_from(["\x00", "a\x00b", "ü" * 300, "/start\x00", "𝔘𝔫𝔦", "x" * 5000])
huge_numbers = st.sampled_from([2**31, 2**63, 2**64 + 1, 10**30, -(2**63) - 1, 10**200])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | huge_numbers
    | st.floats(allow_nan=False, allow_infinity=False)
    | odd_text
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value that a mutation can change."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with one to three fields dropped, retyped, made huge, given NUL bytes, or nested
    deeply."""
    payload = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(payload)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        how = draw(st.sampled_from(["drop", "replace", "nest"]))
        if how == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif how == "nest":
            parent[path[-1]] = _nested(draw(st.sampled_from([50, 500, 900])))
        else:
            parent[path[-1]] = draw(values)
    return payload


async def _stored(served: Served) -> int:
    async with served.bot.services.database.transaction() as session:
        return (await session.execute(select(func.count()).select_from(Delivery))).scalar_one()


async def _settled(served: Served) -> bool:
    """Wait until every stored delivery has been handled and its replies sent."""
    pending = or_(Delivery.handled_at.is_(None), Delivery.replies.is_not(None))
    for _ in range(250):
        async with served.bot.services.database.transaction() as session:
            query = select(func.count()).select_from(Delivery).where(pending)
            if (await session.execute(query)).scalar_one() == 0:
                return True
        await asyncio.sleep(0.02)
    return False


def _troubles(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info
    ]


async def _check(
    served: Served,
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: bytes,
    headers: dict[str, str],
) -> int:
    """POST one request; a 4xx stores nothing; whatever was stored is handled without trouble."""
    caplog.clear()
    before = await _stored(served)
    status, _ = await served.post(path, body, headers)
    assert status < 500, (status, body[:300])
    if status >= 400:
        assert await _stored(served) == before, "a refused request was stored"
    settled = await _settled(served)
    assert _troubles(caplog) == [], body[:300]
    assert settled, "a stored delivery was not handled"
    return status


def _telegram_bases(number: int) -> list[dict[str, Any]]:
    """Genuine updates from a new person each time: one chat's pacing never slows the next."""
    return [
        telegram_message(number, number, "/start"),
        telegram_message(number, number, "How do I book a coaching session?"),
        telegram_message(number, number, "@cedp_test_bot hello", chat_type="supergroup"),
        telegram_callback(number, number, "menu:help", message_id=77),
    ]


@FUZZ
@given(data=st.data())
async def test_mutated_telegram_updates_get_2xx_or_4xx_and_no_traceback(
    served: Served, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    base = data.draw(st.sampled_from(_telegram_bases(next(_ids))))
    update = data.draw(mutated(base))
    await _check(served, caplog, WEBHOOK_PATH, json.dumps(update).encode(), TELEGRAM_HEADERS)


def _signed(body: bytes, content_type: str) -> dict[str, str]:
    return slack_signature_headers(SLACK_SIGNING_SECRET, body, content_type=content_type)


def _slack_event_bases(number: int) -> list[dict[str, Any]]:
    user = f"U{number}"
    return [
        json.loads(slack_event(f"Ev{number}", slack_dm_event(user, "/help"))),
        json.loads(slack_event(f"Ev{number}", slack_mention_event(user, "<@UBOT> what is CEDP?"))),
    ]


def _slack_press(number: int) -> dict[str, Any]:
    press = slack_block_action(
        f"U{number}",
        channel=f"D{number}",
        message_ts="1.000",
        action_id="choice-0",
        value="menu:help",
        trigger_id=f"trigger-{number}",
    )
    return json.loads(dict(_form(press))["payload"])


def _form(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode(), keep_blank_values=True)


@FUZZ
@given(data=st.data())
async def test_mutated_slack_requests_get_2xx_or_4xx_and_no_traceback(
    served: Served, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(["event", "press", "command"]))
    number = next(_ids)
    if kind == "event":
        base = data.draw(st.sampled_from(_slack_event_bases(number)))
        body, content_type = json.dumps(data.draw(mutated(base))).encode(), JSON
    elif kind == "press":
        payload = json.dumps(data.draw(mutated(_slack_press(number))))
        body, content_type = urlencode({"payload": payload}).encode(), FORM
    else:
        command = slack_slash_command(f"U{number}", "help", trigger_id=f"t-{number}")
        fields = dict(_form(command))
        body, content_type = urlencode(data.draw(mutated(fields))).encode(), FORM
    await _check(served, caplog, "/slack/events", body, _signed(body, content_type))


# The inputs the issue reported, each answered with a 4xx or handled without trouble.


@pytest.mark.parametrize(
    "body",
    [
        b'{"update_id":1,"message":"x"}',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"update_id": 1, "message": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001,
        json.dumps(telegram_message(10**30, 4205, "/start")).encode(),
        json.dumps(telegram_message(2, 10**40, "/start")).encode(),
        json.dumps(telegram_message(3, 4206, "/start\x00")).encode(),
        json.dumps(
            telegram_callback(4, 4207, "faq:vote:99999999999999999999:up", message_id=5)
        ).encode(),
        json.dumps(
            telegram_callback(5, 4208, "faq:team:-99999999999999999999999", message_id=5)
        ).encode(),
        b"\xff\xfe not utf-8",
    ],
)
async def test_reported_telegram_payloads_are_refused_or_handled(
    served: Served, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    await _check(served, caplog, WEBHOOK_PATH, body, TELEGRAM_HEADERS)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not json", JSON),
        (b"payload=%7Bbad", FORM),
        (b"payload=null", FORM),
        (b"payload=%5B%5D", FORM),
        (b"[" * 50_000, JSON),
        (slack_event("Ev\x00", slack_dm_event("U0NUL", "/help")), JSON),
        (slack_event("Ev9", slack_dm_event("U" + "9" * 300, "/help")), JSON),
        (slack_slash_command("U0FUZZ", "help\x00"), FORM),
    ],
)
async def test_reported_slack_payloads_are_refused_or_handled(
    served: Served, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    await _check(served, caplog, "/slack/events", body, _signed(body, content_type))
