"""Dates typed into addresses and the API at the ends of the calendar are refused as bad input, not overflowed."""
from zoneinfo import ZoneInfo

import pytest

from booking.core.timeutil import local_day_bounds, parse_iso_date, parse_iso_datetime

MSK = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_a_day_at_the_ends_of_the_calendar_is_bad_input(value):
    with pytest.raises(ValueError):
        parse_iso_date(value)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00"])
def test_a_moment_at_the_ends_of_the_calendar_is_bad_input(value):
    with pytest.raises(ValueError):
        parse_iso_datetime(value, MSK)


def test_ordinary_days_still_have_their_bounds():
    start, end = local_day_bounds(parse_iso_date("2026-12-02"), MSK)
    assert (end - start).total_seconds() == 24 * 3600
