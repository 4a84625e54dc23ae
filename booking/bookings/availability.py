"""The read side of bookings: which slots a division offers and how many places each has left.

Request-free: the caller hands in ``now`` and the policy. The public listing
takes a lean path (:func:`division_availability`): a division's schedule is
cached per process for ``SCHEDULE_CACHE_SECONDS``, the places held are read on
every call, and statements are built once.
"""
import contextlib
import functools
import threading
import time
import weakref
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..core import scheduling
from ..database import committed_rows
from ..extensions import db
from ..models import (Booking, BookingStatus, Closure, District, Division, ReceptionRule,
                      UTCDateTime)
from .values import SlotNotBookable, SlotView

def active_divisions():
    return db.session.scalars(sa.select(Division).where(Division.active).order_by(Division.name)).all()


def get_division(slug, include_inactive=False):
    if not isinstance(slug, str) or "\x00" in slug:  # PostgreSQL cannot even compare a NUL
        return None
    query = sa.select(Division).where(Division.slug == slug)
    if not include_inactive:
        query = query.where(Division.active)
    return db.session.scalar(query)



def all_divisions():
    """Every division, open for bookings or not, by name."""
    return db.session.scalars(sa.select(Division).order_by(Division.name)).all()



# Built once: the listing runs these on every request, and building a statement costs
# more than SQLite takes to answer it.
_HELD_PLACES = (
    sa.select(sa.type_coerce(Booking.start_utc, sa.types.NullType()), sa.func.count())
    .where(Booking.division_id == sa.bindparam("division_id"),
           Booking.start_utc >= sa.bindparam("first_dt", type_=UTCDateTime()),
           Booking.start_utc < sa.bindparam("last_dt", type_=UTCDateTime()),
           Booking.status.in_(BookingStatus.HOLDING))
    .group_by(Booking.start_utc)
    .order_by(Booking.start_utc)
)
# What a division's public pages show of it besides its hours: part of their keys (see division_availability).
_SHOWN_COLUMNS = tuple(c for c in Division.__table__.columns if c.key not in ("id", "created_at"))
_ACTIVE_DIVISION_RULES = (
    sa.select(Division.id, *_SHOWN_COLUMNS, ReceptionRule.weekday, ReceptionRule.start_time, ReceptionRule.end_time,
              ReceptionRule.slot_minutes, ReceptionRule.places, ReceptionRule.valid_from, ReceptionRule.valid_until)
    .outerjoin(ReceptionRule, ReceptionRule.division_id == Division.id)
    .where(Division.slug == sa.bindparam("slug"), Division.active)
)
_CLOSURES = (sa.select(Closure.first_day, Closure.last_day, Closure.reason)
             .where(Closure.division_id == sa.bindparam("division_id")).order_by(Closure.id))


def _held_places(division_id, first_dt, last_dt, conn=None):
    """``(starts, places)``: two parallel tuples, slot starts as the database gives them and places held.

    One grouped query, on the session's connection unless given another. The
    starts stay unconverted: comparing them is all a cached listing needs, and
    converting a few hundred datetimes would cost more than the query.
    """
    rows = (conn or db.session.connection()).execute(
        _HELD_PLACES, {"division_id": division_id, "first_dt": first_dt, "last_dt": last_dt}).all()
    return tuple(zip(*rows)) or ((), ())


_CHANGES_SQL = "SELECT changes FROM division_change_count WHERE division_id = ?"
_CHANGES = sa.text(_CHANGES_SQL.replace("?", ":division_id"))  # the same read, on the session's connection
# Per engine: {(division_id, changes, first_dt, last_dt): what _held_places read then}.
_HELD = weakref.WeakKeyDictionary()
_HELD_MAX = 1024
_HELD_LOCK = threading.Lock()


def _change_count(engine, division_id):
    """The division's count of changes (None before its first), as committed: see booking.change_counts."""
    _names, rows = committed_rows(engine, _CHANGES_SQL, (division_id,))
    return rows[0][0] if rows else None


def division_change_count(division):
    """:func:`change_count` of ``division``, taken from the division when it was loaded with it in this request."""
    if "change_count" not in sa.inspect(division).unloaded:
        return division.change_count
    return change_count(division.id)


def change_count(division_id):
    """The division's count of changes as committed: equal counts, equal bookings, schedule and feed.

    On a server it is read on the session's own connection, which a page that
    looked up its user already holds: each statement there sees what is
    committed when it starts (READ COMMITTED), and the count's triggers run at
    the commit, so the session's own pending writes are not in it. SQLite's
    session may read an older snapshot, so there it gets a connection of its own.
    """
    if db.engine.dialect.name == "sqlite":
        return _change_count(db.engine, division_id)
    return db.session.execute(_CHANGES, {"division_id": division_id}).scalar()


def _counted_held_places(division_id, first_dt, last_dt, engine):
    """``(held, key)``: :func:`_held_places`, read again only when the division's bookings were written.

    The count is read first and the places after it, so what is kept under a
    count is never older than the count says (see :mod:`booking.change_counts`).
    An in-memory database, whose one connection may hold the session's
    uncommitted writes, never uses the cache.
    """
    changes = _change_count(engine, division_id)
    if isinstance(engine.pool, (sa.pool.StaticPool, sa.pool.SingletonThreadPool)):
        with _reading() as conn:
            held = _held_places(division_id, first_dt, last_dt, conn)
        return held, None
    cache = _HELD.setdefault(engine, {})
    key = (division_id, changes, first_dt, last_dt)
    held = cache.get(key)
    if held is None:
        with _reading() as conn:
            held = _held_places(division_id, first_dt, last_dt, conn)
        with _HELD_LOCK:
            if len(cache) >= _HELD_MAX:
                cache.pop(next(iter(cache)))
            cache[key] = held
    return held, ("changes", changes)


def _counts(held):
    """What :func:`_held_places` returned as ``{slot start (aware UTC): places held}``."""
    return dict(zip(map(start_converter(db.engine.dialect), held[0]), held[1]))


@functools.lru_cache(maxsize=8)
def start_converter(dialect):
    """A function turning a slot start as ``dialect``'s driver returns it into an aware UTC datetime."""
    column_type = Booking.__table__.c.start_utc.type
    return column_type.dialect_impl(dialect).result_processor(dialect, None) or (lambda value: value)




def schedule_slots(division, now, policy, first_day=None, last_day=None):
    """The bookable slots of ``division`` (free or not) within the window."""
    window = scheduling.booking_window(now, policy.tz, policy.horizon_days, policy.min_notice_minutes)
    lo = first_day or window.first_day
    hi = last_day or window.last_day
    holidays = scheduling.public_holidays(lo, hi, policy.holiday_country)
    return scheduling.bookable_slots(division.rules, division.closures, holidays, window, policy.tz, lo, hi)


@dataclass(frozen=True)
class Availability:
    """A division's bookable slots in a date range and the places held in each, at one moment.

    ``key`` is equal for two availabilities exactly when their views are equal,
    so whatever is derived from the views can be cached under it.
    """

    slots: list
    held: tuple  # (starts as stored, places held) of the slots with a holder
    key: tuple
    division_id: int = None
    # The division's name, address, texts… as read with its schedule (division_availability only).
    shown: tuple = ()

    @functools.cached_property
    def counts(self):
        """Places held per slot start (aware UTC)."""
        return _counts(self.held)

    def views(self, only_free=True):
        """:class:`SlotView` of each slot (only those with a free place by default), in time order."""
        counts = self.counts
        views = [SlotView(s.start_dt, s.end_dt, s.capacity, max(s.capacity - counts.get(s.start_dt, 0), 0))
                 for s in self.slots]
        return [v for v in views if v.available > 0] if only_free else views


def availability(division, now, policy, first_day=None, last_day=None):
    """The slots of ``division`` within the window with their held places, in one query."""
    return _availability(division.id, scheduling.rule_values(division.rules),
                         scheduling.closure_values(division.closures), now, policy,
                         first_day, last_day)


def division_availability(slug, now, policy, first_day=None, last_day=None):
    """:func:`availability` of the active division ``slug``, or None: the public listing's lean path.

    The division's schedule (its rules and closures) and texts come from a
    per-process cache kept for ``SCHEDULE_CACHE_SECONDS``; the places held are
    read every time.
    """
    schedule = _cached_schedule(slug, policy.schedule_cache_seconds)
    if schedule is None:
        return None
    division_id, rules, closures, shown = schedule
    return _availability(division_id, rules, closures, now, policy, first_day, last_day, shown=shown, counted=True)


@contextlib.contextmanager
def _reading():
    """A connection of its own for a read that needs no transaction of the session's.

    On a database server it runs in autocommit: no BEGIN and ROLLBACK round
    trips around a single query. SQLite keeps the transaction handling of
    :mod:`booking.database`, which autocommit would undo.
    """
    conn = db.engine.connect()
    try:
        if conn.dialect.name != "sqlite":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn
    finally:
        conn.close()


# Per engine, so that each application (and each test's) keeps its own.
_SCHEDULES = weakref.WeakKeyDictionary()


def _cached_schedule(slug, max_age):
    """``(division_id, rules, closures, shown)`` of the active division ``slug``, or None (``shown``: its texts).

    Rules and closures change a few times a year and the listing is read all
    day: reading them once per process every few seconds instead of on every
    request saves two of the listing's three queries. A change flushed by this
    process is seen at once (see :func:`_forget_schedules`), one made elsewhere
    within ``SCHEDULE_CACHE_SECONDS``; a booking is always checked against the
    rules as they are.
    """
    cache = _SCHEDULES.setdefault(db.engine, {})
    found = cache.get(slug)
    if found is not None and found[0] > time.monotonic():
        return found[1]
    with _reading() as conn:
        rows = conn.execute(_ACTIVE_DIVISION_RULES, {"slug": slug}).all()
        if not rows:
            return None  # not remembered: unknown names must not fill the cache
        division_id = rows[0][0]
        closure_rows = conn.execute(_CLOSURES, {"division_id": division_id}).all()
    closures = scheduling.closure_values(scheduling.ClosureValues(row[0], row[1]) for row in closure_rows)
    shown = len(_SHOWN_COLUMNS)
    rules = scheduling.rule_values(scheduling.RuleValues(*row[1 + shown:]) for row in rows
                                   if row[1 + shown] is not None)
    # The pages show each closure's reason too.
    schedule = (division_id, rules, closures, tuple(rows[0][1:1 + shown]) + (tuple(map(tuple, closure_rows)),))
    cache[slug] = (time.monotonic() + max_age, schedule)
    return schedule


_CATALOG_DIVISIONS = (
    sa.select(Division.id, *_SHOWN_COLUMNS, ReceptionRule.weekday, ReceptionRule.start_time, ReceptionRule.end_time,
              ReceptionRule.valid_from, ReceptionRule.valid_until)
    .outerjoin(ReceptionRule, ReceptionRule.division_id == Division.id)
    .where(Division.active).order_by(Division.id, ReceptionRule.id)
)
_CATALOG_DISTRICTS = sa.select(District.id, District.name, District.division_id).order_by(District.id)


def catalog_key(policy):
    """A value equal as long as the list of divisions is: their texts, hours and districts.

    Read from the database at most every ``SCHEDULE_CACHE_SECONDS`` per process,
    like the schedules, and at once after this process changed any of it.
    """
    cache = _SCHEDULES.setdefault(db.engine, {})
    found = cache.get(_CATALOG)
    if found is not None and found[0] > time.monotonic():
        return found[1]
    with _reading() as conn:
        key = tuple(tuple(map(tuple, conn.execute(query))) for query in (_CATALOG_DIVISIONS, _CATALOG_DISTRICTS))
    cache[_CATALOG] = (time.monotonic() + policy.schedule_cache_seconds, key)
    return key


_CATALOG = ("catalog",)  # beside the schedules, under a name no slug can have


@sa.event.listens_for(Session, "after_flush")
def _forget_schedules(session, _flush_context):
    """Drop this process's cached schedules when it changes a division, a rule, a closure or a district."""
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (Division, ReceptionRule, Closure, District)) for obj in touched):
        _SCHEDULES.pop(session.get_bind(), None)


def _availability(division_id, rules, closures, now, policy, first_day, last_day, conn=None, shown=(),
                  counted=False):
    window = scheduling.booking_window(now, policy.tz, policy.horizon_days, policy.min_notice_minutes)
    lo = first_day or window.first_day
    hi = last_day or window.last_day
    holidays = scheduling.public_holidays(lo, hi, policy.holiday_country)
    slots = scheduling.bookable_slots(rules, closures, holidays, window, policy.tz, lo, hi)
    held, held_key = ((), ()), None
    if slots and counted:
        held, held_key = _counted_held_places(division_id, slots[0].start_dt, slots[-1].end_dt, db.engine)
    elif slots:
        held = _held_places(division_id, slots[0].start_dt, slots[-1].end_dt, conn)
    # The slots follow from the schedule's inputs and the first bookable start; the views add what is held
    # (named by the division's count of changes when it was read under one: the same count, the same places).
    key = (rules, closures, policy.tz, policy.holiday_country, max(lo, window.first_day), min(hi, window.last_day),
           slots[0].start_dt if slots else None, division_id if held_key else None, held_key or held)
    return Availability(slots, held, key, division_id, shown)


def slot_views(division, now, policy, first_day=None, last_day=None, only_free=True):
    """Bookable slots with free places, in time order."""
    return availability(division, now, policy, first_day, last_day).views(only_free)


def slot_view_at(division, start_dt, now, policy):
    """The bookable slot starting at ``start_dt`` with its free places, or None."""
    day = start_dt.astimezone(policy.tz).date()
    for view in slot_views(division, now, policy, day, day, only_free=False):
        if view.start_dt == start_dt:
            return view
    return None


def free_alternatives(division, start_dt, now, policy):
    """The free slots nearest to ``start_dt``, other than it."""
    return alternatives(division, start_dt, now, policy, exclude=start_dt)


def alternatives(division, start_dt, now, policy, exclude=None):
    free = [v for v in slot_views(division, now, policy) if v.start_dt != exclude]
    return scheduling.nearest(free, start_dt, count=3)


def bookable_slot(division, start_dt, now, policy):
    day = start_dt.astimezone(policy.tz).date()
    slot = scheduling.slot_at(schedule_slots(division, now, policy, day, day), start_dt)
    if slot is None:
        raise SlotNotBookable(alternatives=alternatives(division, start_dt, now, policy),
                              reason=unbookable_reason(division, start_dt, now, policy))
    return slot


def unbookable_reason(division, start_dt, now, policy):
    """Why ``start_dt`` is not a bookable time of ``division`` (see :func:`scheduling.unbookable_reason`)."""
    day = start_dt.astimezone(policy.tz).date()
    holidays = scheduling.public_holidays(day, day, policy.holiday_country)
    return scheduling.unbookable_reason(start_dt, now, division.rules, division.closures, holidays, policy.tz,
                                        policy.horizon_days, policy.min_notice_minutes)
