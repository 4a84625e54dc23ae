"""Time-zone helpers: UTC inside, local (Europe/Moscow by default) at the edges.

Pure: standard library only. Domain code receives ``now`` as an argument;
only request handlers and commands call :func:`now_utc`.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
# Dates people may ask about: far enough from datetime's limits that a day's or a week's
# arithmetic and the conversion to UTC never overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 9000


def now_utc():
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def get_tz(name):
    """A ZoneInfo for ``name`` (e.g. ``"Europe/Moscow"``)."""
    return ZoneInfo(name)


def to_utc(dt):
    """An aware datetime converted to UTC; naive datetimes are refused."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: an explicit time zone is required")
    return dt.astimezone(UTC)


def to_local(dt, tz):
    """An aware datetime shown in ``tz``."""
    return to_utc(dt).astimezone(tz)


def local_to_utc(day, clock, tz):
    """The UTC instant of wall-clock ``clock`` on local date ``day`` in ``tz``."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def local_today(now, tz):
    """The local calendar date in ``tz`` at instant ``now``."""
    return to_local(now, tz).date()


def local_day_bounds(day, tz):
    """The UTC instants [start, end) of local date ``day`` in ``tz``."""
    start = local_to_utc(day, time(0), tz)
    end = local_to_utc(day + timedelta(days=1), time(0), tz)
    return start, end


def parse_iso_datetime(value, tz):
    """Parse ISO 8601; a value without an offset is read as local time in ``tz``."""
    dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    _check_year(dt)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return to_utc(dt)


def parse_iso_date(value):
    """A ``YYYY-MM-DD`` string as a date."""
    return _check_year(date.fromisoformat(value.strip()))


def _check_year(value):
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"year {value.year} is out of range")
    return value


def week_start(day):
    """The Monday of the week holding ``day``."""
    return day - timedelta(days=day.weekday())
