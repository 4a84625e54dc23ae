"""Small helpers of the calendar tests."""
from datetime import timedelta

import holidays

from helpers import MSK, slot_start
from booking.timeutil import now_utc

EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)


def reception_day(days_ahead):
    """The first local date at least ``days_ahead`` days from today that is no Russian holiday."""
    day = now_utc().astimezone(MSK).date() + timedelta(days=days_ahead)
    ru = holidays.country_holidays("RU", years=[day.year - 1, day.year, day.year + 1])
    while day in ru:
        day += timedelta(days=1)
    return day


def at(days_ahead, clock="10:00"):
    """The UTC instant of ``clock`` Moscow time on :func:`reception_day` ``days_ahead``."""
    return slot_start(reception_day(days_ahead), clock)
