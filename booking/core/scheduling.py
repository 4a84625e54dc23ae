"""Reception slots from weekly rules, closures and public holidays.

Pure: no Flask, no database. Rules and closures are any objects with the
attributes of :class:`booking.models.ReceptionRule` and
:class:`booking.models.Closure` (plain dataclasses in the unit tests). Slots are
laid out in local wall-clock time of the division's time zone and returned as
aware UTC datetimes.
"""
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import holidays as holidays_lib

from .timeutil import UTC, local_to_utc, local_today


@dataclass(frozen=True, order=True)
class Slot:
    start_dt: datetime  # aware, UTC
    end_dt: datetime  # aware, UTC
    capacity: int


@dataclass(frozen=True, order=True)
class Session:
    """One reception session: a continuous stretch of a day on which a division receives."""

    start_dt: datetime  # aware, UTC
    end_dt: datetime  # aware, UTC


class RuleValues(NamedTuple):
    """The values of a reception rule that shape its slots; hashable, so schedules can be cached."""

    weekday: int
    start_time: object
    end_time: object
    slot_minutes: int
    places: int
    valid_from: object = None
    valid_until: object = None


class ClosureValues(NamedTuple):
    first_day: object
    last_day: object


def rule_values(rules):
    """``rules`` (any objects with the rule attributes) as a hashable tuple of :class:`RuleValues`."""
    return tuple(r if isinstance(r, RuleValues) else
                 RuleValues(r.weekday, r.start_time, r.end_time, r.slot_minutes, r.places,
                            getattr(r, "valid_from", None), getattr(r, "valid_until", None)) for r in rules)


def closure_values(closures):
    """``closures`` as a hashable tuple of :class:`ClosureValues`."""
    return tuple(c if isinstance(c, ClosureValues) else ClosureValues(c.first_day, c.last_day) for c in closures)


@dataclass(frozen=True)
class Window:
    """The instants a citizen may book: from ``earliest_dt`` to the end of ``last_day``."""

    earliest_dt: datetime
    first_day: object
    last_day: object


@lru_cache(maxsize=32)
def _holidays_for(country, years):
    return frozenset(holidays_lib.country_holidays(country, years=list(years)).keys())


def public_holidays(first_day, last_day, country="RU"):
    """Public holidays and transferred days off between two dates (inclusive)."""
    years = tuple(range(first_day.year, last_day.year + 1))
    return _holidays_for(country, years)


_MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
                    "октября", "ноября", "декабря")
# The holidays package writes «Выходной (перенесено с 04.01.2026)».
_TRANSFERRED_RU = re.compile(r"^Выходной \(перенесено с (\d\d)\.(\d\d)\.\d{4}\)$")


@lru_cache(maxsize=64)
def _holiday_names(country, year, language):
    # Building a country's calendar costs milliseconds; a week page asks for seven days of it.
    return dict(holidays_lib.country_holidays(country, years=year, language=language))


def holiday_name(day, country="RU", language="ru"):
    """The holiday's name on ``day``, or None: «Выходной день (перенесён с 4 января)»."""
    name = _holiday_names(country, day.year, language).get(day)
    match = _TRANSFERRED_RU.match(name or "")
    if match:
        return f"Выходной день (перенесён с {int(match[1])}\u00a0{_MONTHS_GENITIVE[int(match[2]) - 1]})"
    return name


def _closed(day, closures):
    return any(c.first_day <= day <= c.last_day for c in closures)


def closure_on(day, closures):
    """The first of ``closures`` that covers ``day``, or None."""
    return next((c for c in closures if c.first_day <= day <= c.last_day), None)


def _rule_applies(rule, day):
    if rule.weekday != day.weekday():
        return False
    if getattr(rule, "valid_from", None) and day < rule.valid_from:
        return False
    if getattr(rule, "valid_until", None) and day > rule.valid_until:
        return False
    return True


def _exists(wall, instant, tz):
    return instant.astimezone(tz).replace(tzinfo=None) == wall


def slots_for_day(day, rules, tz):
    """The slots the rules lay out on ``day``, ignoring closures and holidays."""
    slots = []
    for rule in rules:
        if not _rule_applies(rule, day):
            continue
        step = timedelta(minutes=rule.slot_minutes)
        start = datetime.combine(day, rule.start_time)
        end_of_session = datetime.combine(day, rule.end_time)
        while start + step <= end_of_session:
            start_dt = local_to_utc(day, start.time(), tz)
            end_dt = local_to_utc(day, (start + step).time(), tz)
            # A wall-clock time skipped by a daylight-saving change does not exist: no slot then.
            if _exists(start, start_dt, tz) and end_dt > start_dt:
                slots.append(Slot(start_dt, end_dt, rule.places))
            start += step
    return slots


def generate_slots(rules, closures, holidays, first_day, last_day, tz):
    """Every slot from ``first_day`` to ``last_day`` (local dates, inclusive), sorted.

    Holidays, transferred days off and closures produce no slots. Where two
    rules lay out the same start, the larger capacity wins.
    """
    return list(schedule(rule_values(rules), closure_values(closures), frozenset(holidays), first_day, last_day, tz))


# A schedule is a pure function of its inputs and costs far more to lay out than to
# look up: every listing of a division asks for the same one until its rules change
# or the day turns. 512 entries hold a month's window of several hundred divisions.
@lru_cache(maxsize=512)
def schedule(rules, closures, holidays, first_day, last_day, tz):
    """:func:`generate_slots` for hashable inputs (see :func:`rule_values`), as a shared tuple."""
    by_start = {}
    day = first_day
    while day <= last_day:
        if day not in holidays and not _closed(day, closures):
            for slot in slots_for_day(day, rules, tz):
                known = by_start.get(slot.start_dt)
                if known is None or slot.capacity > known.capacity:
                    by_start[slot.start_dt] = slot
        day += timedelta(days=1)
    return tuple(sorted(by_start.values()))


def reception_sessions(rules, closures, holidays, first_day, last_day, tz):
    """The sessions from ``first_day`` to ``last_day`` (local dates, inclusive), sorted.

    Holidays, transferred days off and closures have none; rules whose hours
    overlap or touch on one day make a single session.
    """
    sessions = []
    day = first_day
    while day <= last_day:
        if day not in holidays and not _closed(day, closures):
            sessions.extend(_day_sessions(day, rules, tz))
        day += timedelta(days=1)
    return sessions


def _day_sessions(day, rules, tz):
    hours = sorted((r.start_time, r.end_time) for r in rules if _rule_applies(r, day))
    merged = []
    for start, end in hours:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [Session(local_to_utc(day, start, tz), local_to_utc(day, end, tz)) for start, end in merged]


def booking_window(now, tz, horizon_days, min_notice_minutes):
    """The booking window at instant ``now``: minimum notice to ``horizon_days`` ahead."""
    today = local_today(now, tz)
    earliest = now.astimezone(UTC) + timedelta(minutes=min_notice_minutes)
    return Window(earliest_dt=earliest, first_day=today, last_day=today + timedelta(days=horizon_days))


def bookable_slots(rules, closures, holidays, window, tz, first_day=None, last_day=None):
    """Slots inside ``window``, optionally narrowed to local dates [first_day, last_day]."""
    lo = max(first_day or window.first_day, window.first_day)
    hi = min(last_day or window.last_day, window.last_day)
    if hi < lo:
        return []
    slots = schedule(rule_values(rules), closure_values(closures), frozenset(holidays), lo, hi, tz)
    return list(slots[bisect_left(slots, window.earliest_dt, key=lambda s: s.start_dt):])


def slot_at(slots, start_dt):
    """The slot starting at ``start_dt``, or None."""
    for slot in slots:
        if slot.start_dt == start_dt:
            return slot
    return None


def nearest(slots, start_dt, count=3):
    """Up to ``count`` slots closest in time to ``start_dt``, earliest first."""
    ranked = sorted(slots, key=lambda s: (abs((s.start_dt - start_dt).total_seconds()), s.start_dt))
    return sorted(ranked[:count], key=lambda s: s.start_dt)


# Why a time cannot be booked, from the first rule it breaks: one answer for every page and the API.
PAST = "past"
SHORT_NOTICE = "short_notice"
BEYOND_WINDOW = "beyond_window"
NO_RECEPTION_DAY = "no_reception_day"
OUTSIDE_HOURS = "outside_hours"


def unbookable_reason(start_dt, now, rules, closures, holidays, tz, horizon_days, min_notice_minutes):
    """Why ``start_dt`` cannot be booked at ``now``, or None when it is a bookable slot start.

    One of :data:`PAST`, :data:`SHORT_NOTICE` (less than ``min_notice_minutes`` ahead),
    :data:`BEYOND_WINDOW` (after the last day of the window), :data:`NO_RECEPTION_DAY` (a holiday
    or a closure) and :data:`OUTSIDE_HOURS` (no slot starts then). Free places are not looked at.
    """
    window = booking_window(now, tz, horizon_days, min_notice_minutes)
    day = start_dt.astimezone(tz).date()
    if start_dt < now:
        return PAST
    if start_dt < window.earliest_dt:
        return SHORT_NOTICE
    if day > window.last_day:
        return BEYOND_WINDOW
    if day in holidays or _closed(day, closures):
        return NO_RECEPTION_DAY
    if slot_at(slots_for_day(day, rules, tz), start_dt) is None:
        return OUTSIDE_HOURS
    return None
