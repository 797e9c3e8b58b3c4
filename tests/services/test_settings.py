"""Members' notice settings: the programme's defaults until they choose, their own choices
after, on both databases; the broadcast sender reads a whole batch at once."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Settings
from domain.notices import Category, Preferences, QuietHours
from domain.people import Role
from services import settings as member_settings
from services.settings import SettingsError, preferences_of
from storage.member_settings import StoredSettings
from tests.services.conftest import NOW

DEFAULTS = Settings(database_url="sqlite+aiosqlite://", quiet_hours="20:00-08:00")
EVENINGS = QuietHours(time(20), time(8))
LONDON = ZoneInfo("Europe/London")


async def _member(unit) -> int:
    member = await unit(
        lambda r: r.members.create(display_name="Alice", role=Role.MEMBER, tags=(), now=NOW)
    )
    return member.id


async def test_a_member_who_chose_nothing_has_the_programmes_defaults(unit) -> None:
    alice = await _member(unit)
    preferences = await unit(lambda r: member_settings.preferences(r, alice, DEFAULTS))
    assert preferences == Preferences(muted=frozenset(), quiet=EVENINGS, timezone=LONDON)


async def test_empty_default_quiet_hours_turn_them_off_for_members_who_did_not_choose(
    unit,
) -> None:
    alice, bea = await _member(unit), await _member(unit)
    await unit(lambda r: member_settings.set_quiet_hours(r, bea, "22:00-07:00", settings=DEFAULTS))
    no_default = Settings(database_url="sqlite+aiosqlite://", quiet_hours="")

    batch = await unit(lambda r: member_settings.preferences_for(r, [alice, bea], no_default))
    assert batch[alice].quiet is None
    assert batch[bea].quiet == QuietHours(time(22), time(7))


async def test_off_stays_off_whatever_the_default_and_default_follows_it(unit) -> None:
    alice = await _member(unit)
    later = Settings(database_url="sqlite+aiosqlite://", quiet_hours="21:00-09:00")

    off = await unit(lambda r: member_settings.set_quiet_hours(r, alice, "off", settings=DEFAULTS))
    assert off.quiet is None
    assert (await unit(lambda r: member_settings.preferences(r, alice, later))).quiet is None

    back = await unit(
        lambda r: member_settings.set_quiet_hours(r, alice, "Default", settings=DEFAULTS)
    )
    assert back.quiet == EVENINGS
    later_quiet = (await unit(lambda r: member_settings.preferences(r, alice, later))).quiet
    assert later_quiet == QuietHours(time(21), time(9))


async def test_muting_and_unmuting_change_one_category_and_keep_the_rest(unit) -> None:
    alice = await _member(unit)
    await unit(lambda r: member_settings.set_timezone(r, alice, "Europe/Paris", settings=DEFAULTS))
    await unit(lambda r: member_settings.mute(r, alice, Category.NEWS, True, settings=DEFAULTS))
    both = await unit(
        lambda r: member_settings.mute(r, alice, Category.EVENTS, True, settings=DEFAULTS)
    )
    assert both.muted == {Category.NEWS, Category.EVENTS}

    news_only = await unit(
        lambda r: member_settings.mute(r, alice, Category.EVENTS, False, settings=DEFAULTS)
    )
    assert news_only == Preferences(
        muted=frozenset({Category.NEWS}), quiet=EVENINGS, timezone=ZoneInfo("Europe/Paris")
    )
    assert await unit(lambda r: member_settings.preferences(r, alice, DEFAULTS)) == news_only


async def test_muting_essential_notices_is_refused_and_changes_nothing(unit) -> None:
    alice = await _member(unit)
    with pytest.raises(SettingsError, match="essential programme notices cannot be muted"):
        await unit(
            lambda r: member_settings.mute(r, alice, Category.ESSENTIAL, True, settings=DEFAULTS)
        )
    assert await unit(lambda r: r.member_settings.get(alice)) == StoredSettings()


@pytest.mark.parametrize(
    ("change", "text", "says"),
    [
        (member_settings.set_quiet_hours, "9pm to 7am", "use HH:MM-HH:MM"),
        (member_settings.set_quiet_hours, "07:00-07:00", "different times"),
        (member_settings.set_timezone, "Mars/Olympus", "use a name like Europe/London"),
    ],
)
async def test_a_bad_value_is_refused_with_the_format_and_changes_nothing(
    unit, change, text: str, says: str
) -> None:
    alice = await _member(unit)
    with pytest.raises(SettingsError, match=says):
        await unit(lambda r: change(r, alice, text, settings=DEFAULTS))
    assert await unit(lambda r: r.member_settings.get(alice)) == StoredSettings()


async def test_a_batch_has_every_member_asked_for_in_one_answer(unit) -> None:
    alice, bea = await _member(unit), await _member(unit)
    await unit(lambda r: member_settings.mute(r, bea, Category.NEWS, True, settings=DEFAULTS))

    batch = await unit(lambda r: member_settings.preferences_for(r, [alice, bea, 999], DEFAULTS))
    assert set(batch) == {alice, bea, 999}
    assert not batch[alice].mutes(Category.NEWS) and batch[bea].mutes(Category.NEWS)
    assert batch[999] == batch[alice]
    assert await unit(lambda r: member_settings.preferences_for(r, [], DEFAULTS)) == {}


def test_stored_values_that_no_longer_parse_fall_back_to_the_defaults() -> None:
    stored = StoredSettings(
        muted=frozenset({"news", "essential", "gossip"}), quiet_hours="late", timezone="Nowhere"
    )
    assert preferences_of(stored, EVENINGS) == Preferences(
        muted=frozenset({Category.NEWS}), quiet=EVENINGS, timezone=LONDON
    )
    assert preferences_of(StoredSettings(quiet_hours=""), EVENINGS).quiet is None
    assert preferences_of(StoredSettings(), None).quiet is None
