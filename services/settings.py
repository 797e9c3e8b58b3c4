"""Placeholder until the settings branch lands: members' notice preferences with defaults."""

from __future__ import annotations

from collections.abc import Iterable

from bot.settings import Settings
from domain.notices import Preferences, parse_quiet_hours, parse_timezone
from storage.member_settings import StoredSettings
from storage.repositories import Repositories


def preferences_of(stored: StoredSettings, settings: Settings) -> Preferences:
    quiet = (
        settings.default_quiet_hours
        if stored.quiet_hours is None
        else parse_quiet_hours(stored.quiet_hours)
    )
    zone = parse_timezone(stored.timezone) if stored.timezone else Preferences().timezone
    from domain.notices import Category

    return Preferences(frozenset(Category(c) for c in stored.muted), quiet, zone)


async def preferences_for(
    repos: Repositories, member_ids: Iterable[int], settings: Settings
) -> dict[int, Preferences]:
    ids = list(member_ids)
    stored = await repos.member_settings.for_members(ids)
    return {i: preferences_of(stored.get(i, StoredSettings()), settings) for i in ids}
