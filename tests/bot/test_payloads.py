"""Button payloads: typed kinds that pack and unpack exactly, fit Telegram's 64 bytes once bound,
and open only for the account they were bound to."""

from __future__ import annotations

import dataclasses
import re
from enum import StrEnum
from typing import Annotated, Any, get_args, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import handlers  # noqa: F401  (declares every capability's payload kinds)
from bot.binding import LIMIT_BYTES, Binder, NotYours, PayloadTooLong
from bot.payloads import MAX_INT, Payload, PayloadError, Slug, kinds, unpack
from handlers.faq import HandOver, PickSuggestion, Verdict, Vote

binder = Binder(b"k" * 32)
ALL_KINDS = [kind for kind in kinds() if not kind.__module__.startswith("tests.")]


class Essay(Payload, prefix="test-payloads:essay"):
    """Too long for any button once bound."""

    text: Annotated[str, Slug(re.compile("[a-z]+"), 60)]


def _values(hint: Any) -> st.SearchStrategy[Any]:
    if hint is int:
        return st.integers(0, MAX_INT)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return st.sampled_from(list(hint))
    slug = get_args(hint)[1]
    assert isinstance(slug, Slug)
    return st.from_regex(slug.pattern, fullmatch=True).filter(lambda s: len(s) <= slug.max_length)


def _instances(kind: type[Payload]) -> st.SearchStrategy[Payload]:
    hints = get_type_hints(kind, include_extras=True)
    return st.builds(kind, *(_values(hints[field.name]) for field in dataclasses.fields(kind)))


def test_every_capability_declares_its_kinds() -> None:
    prefixes = {kind.prefix for kind in ALL_KINDS}
    assert {"menu", "faq:team", "faq:vote", "team:alt", "team:keep", "invite"} <= prefixes


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda kind: kind.prefix)
def test_the_longest_payload_of_every_kind_fits_telegram_once_bound(kind: type[Payload]) -> None:
    widest = kind.widest()
    bound = binder.bind(widest.pack(), "telegram", "-1001234567890123")
    assert len(bound.encode()) <= LIMIT_BYTES
    assert binder.open(bound, "telegram", "-1001234567890123") == widest


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda kind: kind.prefix)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_every_kind_round_trips(kind: type[Payload], data: st.DataObject) -> None:
    payload = data.draw(_instances(kind))
    assert unpack(payload.pack()) == payload
    assert (
        binder.open(binder.bind(payload.pack(), "slack", "U0ALICE"), "slack", "U0ALICE") == payload
    )


def test_a_kind_that_cannot_fit_is_refused_loudly_when_bound() -> None:
    assert unpack(Essay("a" * 60).pack()) == Essay("a" * 60)  # packing is fine, binding is not
    with pytest.raises(PayloadTooLong):
        binder.bind(Essay.widest().pack(), "telegram", "42")


def test_a_payload_shows_its_kind_and_fields() -> None:
    assert Vote(12, Verdict.DOWN).pack() == "faq:vote:12:down"
    assert unpack("faq:pick:3:join-how") == PickSuggestion(3, "join-how")
    with pytest.raises(dataclasses.FrozenInstanceError):
        HandOver(1).asked = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "faq:team:2147483648",  # over int4: would overflow on PostgreSQL
        "faq:team:" + "9" * 40,  # over SQLite's int64
        "faq:team:-1",
        "faq:team:+1",
        "faq:team:007",
        "faq:team:1 ",
        "faq:team:١",  # a digit, but not an ASCII one
        "faq:team:1\x00",
        "faq:team:",
        "faq:team",
        "faq:team:1:2",
        "faq:vote:1:sideways",
        "faq:pick:1:Join-How",
        "faq:pick:1:join-how\n",
        "faq:pick:1:" + "a" * 33,
        "faq",
        "nope:1",
        "",
        ":",
    ],
)
def test_junk_does_not_unpack(text: str) -> None:
    with pytest.raises(PayloadError):
        unpack(text)


@given(st.text(max_size=100))
def test_any_text_unpacks_to_a_payload_or_a_payload_error(text: str) -> None:
    try:
        payload = unpack(text)
    except PayloadError:
        return
    assert payload.pack() == text


def test_a_payload_opens_only_for_the_account_it_was_bound_to() -> None:
    bound = binder.bind(HandOver(7).pack(), "telegram", "1001")
    assert binder.open(bound, "telegram", "1001") == HandOver(7)
    for platform, account in [("telegram", "1002"), ("slack", "1001"), ("telegram", "10011")]:
        with pytest.raises(NotYours):
            binder.open(bound, platform, account)


def test_platform_and_account_cannot_be_shifted_into_each_other() -> None:
    bound = binder.bind(HandOver(7).pack(), "telegram1", "001")
    with pytest.raises(NotYours):
        binder.open(bound, "telegram", "1001")


def test_another_key_opens_nothing() -> None:
    bound = binder.bind(HandOver(7).pack(), "telegram", "1001")
    with pytest.raises(NotYours):
        Binder(b"another key, another bot" * 2).open(bound, "telegram", "1001")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda bound: bound.replace("faq:team:7", "faq:team:8"),
        lambda bound: bound.replace("faq:team:7", "faq:team:2147483648"),
        lambda bound: bound[:-1] + ("A" if bound[-1] != "A" else "B"),
        lambda bound: bound.split("~")[0],
        lambda bound: bound + "~",
        lambda bound: bound + "\x00",
        lambda bound: bound.replace("~", "\x00~"),
        lambda bound: bound.replace("7", "٧"),
        lambda bound: bound + "x" * 100,
    ],
)
def test_a_tampered_payload_is_refused(tamper: Any) -> None:
    bound = binder.bind(HandOver(7).pack(), "telegram", "1001")
    with pytest.raises(NotYours):
        binder.open(tamper(bound), "telegram", "1001")


@given(st.text(max_size=200), st.text(max_size=20), st.text(max_size=40))
def test_anything_pressed_is_refused_and_nothing_else_happens(
    pressed: str, platform: str, account: str
) -> None:
    with pytest.raises(NotYours):
        binder.open(pressed, platform, account)


def test_a_bound_payload_of_a_kind_no_longer_made_opens_to_nothing() -> None:
    """Bound by this bot, so not someone else's: a button from an older version (stale)."""
    assert binder.open(binder.bind("book:confirm:1", "slack", "U1"), "slack", "U1") is None
    bound_huge = binder.bind("faq:team:99999999999", "slack", "U1")
    assert binder.open(bound_huge, "slack", "U1") is None


def test_prefixes_are_unique_and_none_extends_another() -> None:
    for prefix in ("faq:team", "faq", "faq:team:extra"):
        with pytest.raises(TypeError, match="clashes"):
            type("Clash", (Payload,), {"__annotations__": {}}, prefix=prefix)


def test_a_field_type_without_bounds_is_refused_when_the_kind_is_declared() -> None:
    with pytest.raises(TypeError, match="use int, a StrEnum"):

        class Loose(Payload, prefix="test-payloads:loose"):
            note: str


class Mood(StrEnum):
    FINE = "fine"
    SO_SO = "so:so"  # the separator


def test_an_enum_whose_values_cannot_travel_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot go in a payload"):

        class Feeling(Payload, prefix="test-payloads:feeling"):
            mood: Mood
