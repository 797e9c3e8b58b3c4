"""Members' settings for programme notices: what they chose, with the programme's defaults
filled in, and the changes they make. The broadcast sender reads `preferences_for` on a batch;
the /settings chat makes the changes."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from bot.settings import Settings
from domain.errors import Refusal
from domain.notices import (
    DEFAULT_TIMEZONE,
    MUTABLE_CATEGORIES,
    Category,
    Preferences,
    QuietHours,
    parse_quiet_hours,
    parse_timezone,
)
from storage.member_settings import StoredSettings
from storage.repositories import Repositories

log = logging.getLogger(__name__)

DEFAULT = "default"  # typed as quiet hours: back to CEDP_QUIET_HOURS
OFF = ""  # stored quiet hours: the member turned them off
_MUTABLE = {category.value for category in MUTABLE_CATEGORIES}


class SettingsError(Refusal):
    """A change to a member's settings that cannot be made; the message says why."""


def preferences_of(stored: StoredSettings, default_quiet: QuietHours | None) -> Preferences:
    """What a member chose, with the defaults where they chose nothing. A stored value that no
    longer parses (written by hand, or by an older version) counts as no choice: one bad row
    must not stop a broadcast."""
    muted = frozenset(Category(value) for value in stored.muted if value in _MUTABLE)
    quiet = default_quiet
    if stored.quiet_hours is not None:
        try:
            quiet = parse_quiet_hours(stored.quiet_hours)
        except ValueError:
            log.warning("unusable stored quiet hours %r: using the default", stored.quiet_hours)
    timezone = parse_timezone(DEFAULT_TIMEZONE)
    if stored.timezone is not None:
        try:
            timezone = parse_timezone(stored.timezone)
        except ValueError:
            log.warning("unusable stored time zone %r: using the default", stored.timezone)
    return Preferences(
        muted=muted,
        quiet=quiet,
        timezone=timezone,
    )


async def preferences(repos: Repositories, member_id: int, settings: Settings) -> Preferences:
    """One member's preferences."""
    return preferences_of(await repos.member_settings.get(member_id), settings.default_quiet_hours)


async def preferences_for(
    repos: Repositories, member_ids: Iterable[int], settings: Settings
) -> dict[int, Preferences]:
    """Every member in `member_ids` with their preferences, read in one query."""
    ids = list(member_ids)
    stored = await repos.member_settings.for_members(ids)
    default_quiet = settings.default_quiet_hours
    return {
        member_id: preferences_of(stored.get(member_id, StoredSettings()), default_quiet)
        for member_id in ids
    }


async def mute(
    repos: Repositories, member_id: int, category: Category, muted: bool, *, settings: Settings
) -> Preferences:
    """Mute or unmute one category; essential programme notices always reach members."""
    if not category.mutable:
        raise SettingsError("essential programme notices cannot be muted")
    stored = await repos.member_settings.get(member_id)
    chosen = stored.muted | {category.value} if muted else stored.muted - {category.value}
    return await _save(repos, member_id, dataclasses.replace(stored, muted=chosen), settings)


async def set_quiet_hours(
    repos: Repositories, member_id: int, text: str, *, settings: Settings
) -> Preferences:
    """Quiet hours as typed: `HH:MM-HH:MM`, `off`, or `default` for the programme's setting."""
    if text.strip().lower() == DEFAULT:
        quiet_hours = None
    else:
        try:
            parsed = parse_quiet_hours(text)
        except ValueError as error:
            raise SettingsError(str(error)) from None
        quiet_hours = OFF if parsed is None else str(parsed)
    stored = await repos.member_settings.get(member_id)
    return await _save(
        repos, member_id, dataclasses.replace(stored, quiet_hours=quiet_hours), settings
    )


async def set_timezone(
    repos: Repositories, member_id: int, text: str, *, settings: Settings
) -> Preferences:
    """The member's time zone, an IANA name such as Europe/Paris; quiet hours follow it."""
    try:
        zone = parse_timezone(text)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    stored = await repos.member_settings.get(member_id)
    return await _save(repos, member_id, dataclasses.replace(stored, timezone=zone.key), settings)


async def _save(
    repos: Repositories, member_id: int, chosen: StoredSettings, settings: Settings
) -> Preferences:
    await repos.member_settings.save(member_id, chosen)
    return preferences_of(chosen, settings.default_quiet_hours)
