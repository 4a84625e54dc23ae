"""Why a time cannot be booked: the first rule it breaks, told apart for every page and the API."""
from dataclasses import dataclass
from datetime import date, time

import pytest

from booking.core import scheduling
from booking.core.timeutil import get_tz, local_to_utc

MSK = get_tz("Europe/Moscow")
NOW = local_to_utc(date(2026, 12, 1), time(9, 0), MSK)  # a Tuesday morning


@dataclass
class Rule:
    weekday: int
    start_time: time = time(10)
    end_time: time = time(13)
    slot_minutes: int = 20
    places: int = 1


@dataclass
class Closure:
    first_day: date
    last_day: date


RULES = [Rule(1), Rule(2), Rule(3)]  # Tuesday to Thursday, 10:00–13:00
CLOSURES = [Closure(date(2026, 12, 10), date(2026, 12, 10))]


def reason(day, clock, holidays=frozenset()):
    start = local_to_utc(day, time(*map(int, clock.split(":"))), MSK)
    return scheduling.unbookable_reason(start, NOW, RULES, CLOSURES, holidays, MSK, horizon_days=30,
                                        min_notice_minutes=120)


@pytest.mark.parametrize("day, clock, expected", [
    (date(2026, 11, 26), "10:00", scheduling.PAST),              # last week
    (date(2026, 12, 1), "10:00", scheduling.SHORT_NOTICE),       # in an hour: less than two hours' notice
    (date(2026, 12, 1), "11:00", None),                          # two hours ahead: bookable
    (date(2027, 1, 5), "10:00", scheduling.BEYOND_WINDOW),       # a Tuesday after the 30 days
    (date(2026, 12, 10), "10:00", scheduling.NO_RECEPTION_DAY),  # a Thursday the division is closed
    (date(2026, 12, 2), "14:00", scheduling.OUTSIDE_HOURS),      # a Wednesday after the hours
    (date(2026, 12, 2), "10:10", scheduling.OUTSIDE_HOURS),      # between two slot starts
    (date(2026, 12, 4), "10:00", scheduling.OUTSIDE_HOURS),      # a Friday: no reception that weekday
    (date(2026, 12, 2), "12:40", None),                          # the last slot of a session
])
def test_the_reason_is_the_first_rule_broken(day, clock, expected):
    assert reason(day, clock) == expected


def test_a_public_holiday_is_a_day_without_reception():
    assert reason(date(2026, 12, 2), "10:00", holidays=frozenset({date(2026, 12, 2)})) == scheduling.NO_RECEPTION_DAY


def test_every_bookable_slot_has_no_reason_and_every_other_start_has_one():
    window = scheduling.booking_window(NOW, MSK, 30, 120)
    slots = scheduling.bookable_slots(RULES, CLOSURES, frozenset(), window, MSK)
    starts = {slot.start_dt for slot in slots}
    assert starts and all(reason_of(s) is None for s in starts)
    day = date(2026, 12, 1)
    every_ten_minutes = [local_to_utc(day, time(h, m), MSK) for h in range(8, 15) for m in range(0, 60, 10)]
    assert all((reason_of(s) is None) == (s in starts) for s in every_ten_minutes)


def reason_of(start):
    return scheduling.unbookable_reason(start, NOW, RULES, CLOSURES, frozenset(), MSK, 30, 120)


def test_the_closure_covering_a_day_is_found():
    assert scheduling.closure_on(date(2026, 12, 10), CLOSURES) is CLOSURES[0]
    assert scheduling.closure_on(date(2026, 12, 11), CLOSURES) is None
