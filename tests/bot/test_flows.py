"""Flows name their steps once; the names are what the conversation stores."""

from __future__ import annotations

import pytest

from bot.flows import Flow, Step


class Booking(Flow, name="test-flows-booking"):
    PICK_SLOT = Step()
    CONFIRM = Step()


def test_a_step_is_named_after_its_flow_and_attribute() -> None:
    assert Booking.PICK_SLOT.key == ("test-flows-booking", "pick_slot")
    assert (Booking.CONFIRM.flow, Booking.CONFIRM.name) == ("test-flows-booking", "confirm")


def test_two_flows_cannot_share_a_name() -> None:
    with pytest.raises(TypeError, match="taken"):

        class Again(Flow, name="test-flows-booking"):
            STEP = Step()


def test_a_flow_name_must_fit_the_stored_column() -> None:
    with pytest.raises(TypeError, match="cannot be stored"):

        class Long(Flow, name="x" * 65):
            STEP = Step()
