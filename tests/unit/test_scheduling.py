"""Slot generation from rules, closures and Russian holidays; no app, no database."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest

from booking.core import scheduling
from booking.core.timeutil import UTC, get_tz

MSK = get_tz("Europe/Moscow")


@dataclass
class Rule:
    weekday: int
    start_time: time = time(10)
    end_time: time = time(13)
    slot_minutes: int = 20
    places: int = 1
    valid_from: date = None
    valid_until: date = None


@dataclass
class Closure:
    first_day: date
    last_day: date


MON_WED_FRI = [Rule(0), Rule(2), Rule(4)]


def holidays_between(first, last):
    return scheduling.public_holidays(first, last, "RU")


def slots(first, last, rules=MON_WED_FRI, closures=()):
    return scheduling.generate_slots(rules, closures, holidays_between(first, last), first, last, MSK)


def test_three_reception_days_a_week_with_twenty_minute_slots():
    # 2026-12-07 is a Monday; the week holds no holiday.
    result = slots(date(2026, 12, 7), date(2026, 12, 13))
    days = sorted({s.start_dt.astimezone(MSK).date() for s in result})
    assert days == [date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 11)]
    assert len(result) == 3 * 9
    first = result[0]
    assert first.start_dt == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 10:00 Moscow is 07:00 UTC
    assert first.end_dt - first.start_dt == timedelta(minutes=20)
    assert result[8].end_dt.astimezone(MSK).time() == time(13, 0)


def test_a_slot_that_would_overrun_the_session_is_not_offered():
    rule = Rule(0, start_time=time(10), end_time=time(11, 50), slot_minutes=20)
    result = slots(date(2026, 12, 7), date(2026, 12, 7), rules=[rule])
    assert [s.start_dt.astimezone(MSK).strftime("%H:%M") for s in result] == [
        "10:00", "10:20", "10:40", "11:00", "11:20"]


def test_times_are_aware_utc_and_show_as_moscow_wall_clock():
    result = slots(date(2026, 12, 7), date(2026, 12, 7))
    assert all(s.start_dt.tzinfo is not None and s.start_dt.utcoffset() == timedelta(0) for s in result)
    assert result[0].start_dt.astimezone(MSK).isoformat() == "2026-12-07T10:00:00+03:00"


@pytest.mark.parametrize("day", [date(2027, 1, day) for day in range(1, 9)] + [date(2027, 5, 10)])
def test_new_year_holidays_and_victory_day_are_not_reception_days(day):
    rules = [Rule(weekday) for weekday in range(7)]
    assert slots(day, day, rules=rules) == []


def test_transferred_day_off_is_not_a_reception_day():
    # 2027-02-22 (Monday) is a day off transferred from Saturday 2027-02-20.
    assert slots(date(2027, 2, 22), date(2027, 2, 22)) == []
    assert slots(date(2027, 2, 24), date(2027, 2, 24)) != []


def test_a_working_saturday_is_not_a_reception_day_unless_a_rule_says_so():
    saturday = date(2027, 2, 20)  # a working Saturday created by the transfer
    assert slots(saturday, saturday) == []
    assert len(slots(saturday, saturday, rules=[Rule(5)])) == 9


def test_closures_remove_whole_days_inclusive():
    closure = Closure(date(2026, 12, 9), date(2026, 12, 11))
    result = slots(date(2026, 12, 7), date(2026, 12, 13), closures=[closure])
    assert {s.start_dt.astimezone(MSK).date() for s in result} == {date(2026, 12, 7)}


def test_rule_validity_dates_bound_the_rule():
    rule = Rule(0, valid_from=date(2026, 12, 14), valid_until=date(2026, 12, 21))
    result = slots(date(2026, 12, 7), date(2026, 12, 28), rules=[rule])
    assert {s.start_dt.astimezone(MSK).date() for s in result} == {date(2026, 12, 14), date(2026, 12, 21)}


def test_overlapping_rules_keep_one_slot_with_the_larger_capacity():
    rules = [Rule(0, places=1), Rule(0, start_time=time(12), end_time=time(14), places=3)]
    result = slots(date(2026, 12, 7), date(2026, 12, 7), rules=rules)
    starts = [s.start_dt for s in result]
    assert len(starts) == len(set(starts))
    noon = [s for s in result if s.start_dt.astimezone(MSK).time() == time(12)][0]
    assert noon.capacity == 3


def test_window_respects_minimum_notice():
    # Monday 2026-12-07, 08:30 Moscow: with 2 hours' notice the first slot is 10:40.
    now = datetime(2026, 12, 7, 8, 30, tzinfo=MSK)
    window = scheduling.booking_window(now, MSK, horizon_days=30, min_notice_minutes=120)
    result = scheduling.bookable_slots(MON_WED_FRI, [], holidays_between(window.first_day, window.last_day),
                                       window, MSK)
    assert result[0].start_dt.astimezone(MSK) == datetime(2026, 12, 7, 10, 40, tzinfo=MSK)


def test_window_ends_at_the_horizon():
    now = datetime(2026, 12, 7, 8, 0, tzinfo=MSK)
    window = scheduling.booking_window(now, MSK, horizon_days=7, min_notice_minutes=120)
    result = scheduling.bookable_slots(MON_WED_FRI, [], holidays_between(window.first_day, window.last_day),
                                       window, MSK)
    assert max(s.start_dt.astimezone(MSK).date() for s in result) == date(2026, 12, 14)


def test_window_uses_the_moscow_date_not_the_utc_date():
    # 22:30 UTC on Sunday is already 01:30 on Monday in Moscow.
    now = datetime(2026, 12, 6, 22, 30, tzinfo=timezone.utc)
    window = scheduling.booking_window(now, MSK, horizon_days=0, min_notice_minutes=120)
    assert window.first_day == date(2026, 12, 7)
    result = scheduling.bookable_slots(MON_WED_FRI, [], holidays_between(window.first_day, window.last_day),
                                       window, MSK)
    assert [s.start_dt.astimezone(MSK).date() for s in result] == [date(2026, 12, 7)] * 9


def test_narrowing_to_dates_outside_the_window_gives_nothing():
    now = datetime(2026, 12, 7, 8, 0, tzinfo=MSK)
    window = scheduling.booking_window(now, MSK, horizon_days=30, min_notice_minutes=120)
    hol = holidays_between(date(2026, 11, 1), date(2027, 3, 1))
    assert scheduling.bookable_slots(MON_WED_FRI, [], hol, window, MSK, date(2026, 11, 1), date(2026, 11, 30)) == []
    assert scheduling.bookable_slots(MON_WED_FRI, [], hol, window, MSK, date(2027, 2, 1), date(2027, 2, 10)) == []


def test_another_time_zone_lays_slots_on_its_own_wall_clock():
    berlin = get_tz("Europe/Berlin")  # UTC+1 in winter, so 10:00 there is 09:00 UTC
    result = scheduling.generate_slots([Rule(0)], [], frozenset(), date(2026, 12, 7), date(2026, 12, 7), berlin)
    assert result[0].start_dt == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_a_wall_clock_time_skipped_by_daylight_saving_gets_no_slot():
    berlin = get_tz("Europe/Berlin")
    # 2027-03-28 is the Sunday clocks go forward in Berlin.
    rule = Rule(6, start_time=time(1), end_time=time(4), slot_minutes=60)
    result = scheduling.generate_slots([rule], [], frozenset(), date(2027, 3, 28), date(2027, 3, 28), berlin)
    assert [s.start_dt.astimezone(berlin).strftime("%H:%M") for s in result] == ["01:00", "03:00"]
    assert all(s.end_dt - s.start_dt == timedelta(hours=1) for s in result)


def test_nearest_alternatives_are_closest_in_time_and_sorted():
    result = slots(date(2026, 12, 7), date(2026, 12, 9))
    target = result[4].start_dt
    near = scheduling.nearest([s for s in result if s.start_dt != target], target, count=3)
    assert [s.start_dt for s in near] == sorted(s.start_dt for s in near)
    assert {result[3].start_dt, result[5].start_dt} <= {s.start_dt for s in near}


def test_reception_days_are_the_rules_weekdays_without_holidays():
    hol = holidays_between(date(2026, 1, 1), date(2026, 12, 31))

    def receives(day):
        return bool(scheduling.generate_slots(MON_WED_FRI, [], hol, day, day, MSK))

    assert receives(date(2026, 12, 7))
    assert not receives(date(2026, 12, 8))
    assert not receives(date(2026, 11, 4))  # Unity Day, a Wednesday


def sessions(rules, first, last, closures=(), holidays=frozenset()):
    return scheduling.reception_sessions(rules, closures, holidays, first, last, MSK)


def msk(day, hours, minutes=0):
    return datetime.combine(day, time(hours, minutes), tzinfo=MSK).astimezone(UTC)


MONDAY_2027 = date(2027, 3, 1)


def test_one_session_per_rule_and_day_in_utc():
    found = sessions([Rule(0), Rule(2, time(14), time(17))], MONDAY_2027, MONDAY_2027 + timedelta(days=6))
    assert [(s.start_dt, s.end_dt) for s in found] == [
        (msk(MONDAY_2027, 10), msk(MONDAY_2027, 13)),
        (msk(MONDAY_2027 + timedelta(days=2), 14), msk(MONDAY_2027 + timedelta(days=2), 17)),
    ]
    assert found[0].start_dt.hour == 7  # 10:00 in Moscow


def test_overlapping_rules_make_one_session_and_separate_ones_stay_apart():
    rules = [Rule(0, time(10), time(12)), Rule(0, time(11), time(13)), Rule(0, time(15), time(16))]
    found = sessions(rules, MONDAY_2027, MONDAY_2027)
    assert [(s.start_dt, s.end_dt) for s in found] == [(msk(MONDAY_2027, 10), msk(MONDAY_2027, 13)),
                                                       (msk(MONDAY_2027, 15), msk(MONDAY_2027, 16))]


def test_holidays_closures_and_rule_validity_leave_days_out():
    rules = [Rule(d) for d in range(5)] + [Rule(5, time(10), time(12), valid_until=MONDAY_2027)]
    friday = MONDAY_2027 + timedelta(days=4)
    found = sessions(rules, MONDAY_2027, MONDAY_2027 + timedelta(days=5),
                     closures=[Closure(MONDAY_2027, MONDAY_2027)], holidays=frozenset({friday}))
    assert [s.start_dt.astimezone(MSK).date().weekday() for s in found] == [1, 2, 3]


def test_a_changed_rule_lays_out_new_slots_despite_the_cache():
    rule = Rule(0)
    first = slots(date(2026, 12, 7), date(2026, 12, 7), rules=[rule])
    assert slots(date(2026, 12, 7), date(2026, 12, 7), rules=[rule]) == first
    rule.places, rule.end_time = 2, time(11)
    changed = slots(date(2026, 12, 7), date(2026, 12, 7), rules=[rule])
    assert len(changed) == 3 and {s.capacity for s in changed} == {2}
    assert len(first) == 9 and {s.capacity for s in first} == {1}


def test_a_transferred_day_off_says_from_which_day_in_words():
    assert scheduling.holiday_name(date(2026, 12, 31)) == "Выходной день (перенесён с 4\u00a0января)"
    assert scheduling.holiday_name(date(2026, 1, 7)) == "Рождество Христово"
    assert scheduling.holiday_name(date(2026, 12, 2)) is None
