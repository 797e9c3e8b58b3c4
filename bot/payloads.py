"""Typed button payloads: one small frozen dataclass per kind, packed and unpacked only here.

A kind declares its prefix and its typed fields, in the spirit of aiogram's `CallbackData`:

    class HandOver(Payload, prefix="faq:team"):
        asked: int

`HandOver(7).pack()` is "faq:team:7" and `unpack("faq:team:7")` is `HandOver(asked=7)`. A field
is an `int` (0 to 2**31 - 1, what an id column holds on PostgreSQL and SQLite alike), a `StrEnum`
(by value) or text matching a `Slug`; `unpack` checks every field against those bounds, so no
huge integer, NUL byte or stray text in a payload ever reaches a handler or the database.
A kind's capability declares it next to its handlers; `Router.choice(kind)` routes it.

Packed payloads are then bound to the person they are shown to (bot.binding), which appends a
tag; Telegram allows 64 bytes for the whole, checked there.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import (
    Annotated,
    Any,
    ClassVar,
    Protocol,
    Self,
    dataclass_transform,
    get_args,
    get_origin,
    get_type_hints,
)

from bot.messages import Choice
from knowledge.base import ENTRY_ID, ENTRY_ID_MAX

SEPARATOR = ":"
MAX_INT = 2**31 - 1
_INT_DIGITS = len(str(MAX_INT))
_PREFIX = re.compile(r"[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)*")
_ENUM_VALUE = re.compile(r"[A-Za-z0-9_-]+")


class PayloadError(ValueError):
    """Text that is not a payload this bot packs: unknown prefix, wrong fields, out of bounds."""


class _Codec(Protocol):
    """How one field's value becomes text and back."""

    @property
    def widest(self) -> Any:
        """The value whose encoding is longest, for the size check over every kind."""
        ...

    def encode(self, value: Any) -> str: ...

    def decode(self, text: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class Slug:
    """A text field, e.g. `Annotated[str, Slug(ENTRY_ID, 32)]`: all of it matches `pattern`, it
    takes at most `max_length` characters and never holds the separator."""

    pattern: re.Pattern[str]
    max_length: int

    def __post_init__(self) -> None:
        if not self.pattern.fullmatch(self.widest):
            raise TypeError(f"slug pattern {self.pattern.pattern!r} must accept 'a' * max_length")

    @property
    def widest(self) -> str:
        return "a" * self.max_length

    def encode(self, value: str) -> str:
        return self.decode(value)  # packing what unpacking would refuse is a programming error

    def decode(self, text: str) -> str:
        if len(text) > self.max_length or SEPARATOR in text or not self.pattern.fullmatch(text):
            raise PayloadError(f"not a valid value: {text[:80]!r}")
        return text


class _Int:
    widest = MAX_INT

    def encode(self, value: int) -> str:
        if not 0 <= value <= MAX_INT:
            raise PayloadError(f"{value} is out of bounds")
        return str(value)

    def decode(self, text: str) -> int:
        canonical = text.isascii() and text.isdigit() and (text == "0" or text[0] != "0")
        if not canonical or len(text) > _INT_DIGITS or int(text) > MAX_INT:
            raise PayloadError(f"not a valid number: {text[:80]!r}")
        return int(text)


@dataclass(frozen=True, slots=True)
class _Enum:
    kind: type[StrEnum]

    def __post_init__(self) -> None:
        bad = [member.value for member in self.kind if not _ENUM_VALUE.fullmatch(member.value)]
        if bad:
            raise TypeError(f"{self.kind.__name__} values {bad} cannot go in a payload")

    @property
    def widest(self) -> StrEnum:
        return max(self.kind, key=lambda member: len(member.value))

    def encode(self, value: StrEnum) -> str:
        return self.kind(value).value

    def decode(self, text: str) -> StrEnum:
        try:
            return self.kind(text)
        except ValueError:
            raise PayloadError(f"not a {self.kind.__name__}: {text[:80]!r}") from None


def _codec_for(hint: Any) -> _Codec:
    if get_origin(hint) is Annotated:
        slugs = [meta for meta in get_args(hint)[1:] if isinstance(meta, Slug)]
        if get_args(hint)[0] is str and len(slugs) == 1:
            return slugs[0]
    if hint is int:
        return _Int()
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return _Enum(hint)
    raise TypeError(f"payload field {hint!r}: use int, a StrEnum or Annotated[str, Slug(...)]")


EntryId = Annotated[str, Slug(ENTRY_ID, ENTRY_ID_MAX)]  # a knowledge base entry, in any kind

_KINDS: dict[str, type[Payload]] = {}


def _overlap(prefix: str, other: str) -> bool:
    """Whether one prefix is the other or starts it ("faq" and "faq:team")."""
    mine, theirs = prefix + SEPARATOR, other + SEPARATOR
    return mine.startswith(theirs) or theirs.startswith(mine)


@dataclass_transform(frozen_default=True)
class Payload:
    """Base of every payload kind; a subclass names its `prefix` and becomes a frozen dataclass.

    Prefixes are unique and none extends another ("faq" and "faq:team" would be ambiguous).
    """

    prefix: ClassVar[str]
    _codecs: ClassVar[tuple[tuple[str, _Codec], ...]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PREFIX.fullmatch(prefix):
            raise TypeError(f"payload prefix {prefix!r} must be lower-case words joined by ':'")
        clash = sorted(other for other in _KINDS if _overlap(prefix, other))
        if clash:
            raise TypeError(f"payload prefix {prefix!r} clashes with {clash}")
        dataclasses.dataclass(frozen=True)(cls)
        hints = get_type_hints(cls, include_extras=True)
        cls.prefix = prefix
        cls._codecs = tuple(
            (field.name, _codec_for(hints[field.name])) for field in dataclasses.fields(cls)
        )
        _KINDS[prefix] = cls

    def pack(self) -> str:
        """The payload as text, before it is bound to its recipient."""
        values = (codec.encode(getattr(self, name)) for name, codec in self._codecs)
        return SEPARATOR.join((self.prefix, *values))

    @classmethod
    def widest(cls) -> Self:
        """The instance whose packed form is longest: what the size check binds."""
        return cls(*(codec.widest for _, codec in cls._codecs))


def offer(label: str, payload: Payload) -> Choice:
    """A choice carrying `payload`; the bot binds it to its recipient on the way out."""
    return Choice(label, payload.pack())


def unpack(text: str) -> Payload:
    """The payload `pack` made of `text`; raises `PayloadError` for anything else."""
    if not text.isascii():
        raise PayloadError("a payload is ASCII")
    parts = text.split(SEPARATOR)
    for length in range(1, len(parts) + 1):
        kind = _KINDS.get(SEPARATOR.join(parts[:length]))
        if kind is None:
            continue
        fields = parts[length:]
        if len(fields) != len(kind._codecs):
            raise PayloadError(f"{kind.prefix} takes {len(kind._codecs)} fields")
        values = (
            codec.decode(value) for (_, codec), value in zip(kind._codecs, fields, strict=True)
        )
        return kind(*values)
    raise PayloadError(f"no payload kind for {text[:80]!r}")


def kinds() -> tuple[type[Payload], ...]:
    """Every kind declared so far (the capabilities' modules declare theirs when imported)."""
    return tuple(_KINDS.values())
