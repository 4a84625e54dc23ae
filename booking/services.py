"""Booking operations: book, cancel, reschedule, and the queries behind the slot pages.

Request-free: every operation takes ``now`` and works inside the caller's
transaction (it flushes, the request or command commits). Capacity is left to
the ``uq_booking_place`` index; a lost race surfaces as :class:`SlotTaken`.
"""
import contextlib
import functools
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import scheduling
from .extensions import db
from .models import AuditEntry, Booking, BookingStatus, Closure, Division, ReceptionRule, UTCDateTime
from .timeutil import get_tz, local_day_bounds

CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no look-alikes: 0/O, 1/I, 2/Z, 5/S, 8/B


@dataclass(frozen=True)
class Policy:
    """The booking rules of a deployment, read from configuration."""

    tz: object
    horizon_days: int = 30
    min_notice_minutes: int = 120
    max_active_per_person: int = 1
    holiday_country: str = "RU"

    @classmethod
    def from_config(cls, config):
        return cls(
            tz=get_tz(config["BOOKING_TIMEZONE"]),
            horizon_days=config["BOOKING_HORIZON_DAYS"],
            min_notice_minutes=config["BOOKING_MIN_NOTICE_MINUTES"],
            max_active_per_person=config["BOOKING_MAX_ACTIVE_PER_PERSON"],
            holiday_country=config["BOOKING_HOLIDAY_COUNTRY"],
        )


def current_policy():
    """The policy of the application in context."""
    return Policy.from_config(current_app.config)


@dataclass(frozen=True)
class SlotView:
    """A slot with how many places are still free."""

    start_dt: object
    end_dt: object
    capacity: int
    available: int


class BookingError(Exception):
    """An operation refused for a reason the citizen should be told."""

    code = "booking_error"

    def __init__(self, message="", alternatives=()):
        super().__init__(message or self.code)
        self.alternatives = list(alternatives)


class SlotTaken(BookingError):
    """The slot has no free place left (possibly taken a moment ago)."""

    code = "slot_taken"


class SlotNotBookable(BookingError):
    """The requested time is not a bookable slot of the division."""

    code = "slot_not_bookable"


class LimitReached(BookingError):
    """The person already holds the allowed number of future bookings here."""

    code = "limit_reached"


class NotChangeable(BookingError):
    """The booking is cancelled, past or already visited."""

    code = "not_changeable"


@dataclass
class Actor:
    """Who performs an operation, for the audit log."""

    kind: str = "citizen"  # citizen, operator, head, admin, system
    user: object = None
    channel: str = "web"

    @property
    def user_id(self):
        return self.user.id if self.user is not None else None


@dataclass
class CitizenDetails:
    full_name: str
    phone: str
    email: str
    topic: str
    message: str = ""
    account: str = ""
    address: str = ""
    locale: str = "ru"
    extra: dict = field(default_factory=dict)


def hash_token(token):
    """The stored form of a secret token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token():
    """A fresh secret token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_code():
    """A short booking code such as ``K7Q-4M2``."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


def normalise_code(code):
    """A code as typed (any case, with or without the dash) in its stored form."""
    raw = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return f"{raw[:3]}-{raw[3:]}" if len(raw) == 6 else raw


def active_divisions():
    return db.session.scalars(sa.select(Division).where(Division.active).order_by(Division.name)).all()


def get_division(slug, include_inactive=False):
    query = sa.select(Division).where(Division.slug == slug)
    if not include_inactive:
        query = query.where(Division.active)
    return db.session.scalar(query)


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
_ACTIVE_DIVISION_RULES = (
    sa.select(Division.id, ReceptionRule.weekday, ReceptionRule.start_time, ReceptionRule.end_time,
              ReceptionRule.slot_minutes, ReceptionRule.places, ReceptionRule.valid_from, ReceptionRule.valid_until)
    .outerjoin(ReceptionRule, ReceptionRule.division_id == Division.id)
    .where(Division.slug == sa.bindparam("slug"), Division.active)
)
_CLOSURES = sa.select(Closure.first_day, Closure.last_day).where(Closure.division_id == sa.bindparam("division_id"))


def _held_places(division_id, first_dt, last_dt, conn=None):
    """``(starts, places)``: two parallel tuples, slot starts as the database gives them and places held.

    One grouped query, on the session's connection unless given another. The
    starts stay unconverted: comparing them is all a cached listing needs, and
    converting a few hundred datetimes would cost more than the query.
    """
    rows = (conn or db.session.connection()).execute(
        _HELD_PLACES, {"division_id": division_id, "first_dt": first_dt, "last_dt": last_dt}).all()
    return tuple(zip(*rows)) or ((), ())


def _counts(held):
    """What :func:`_held_places` returned as ``{slot start (aware UTC): places held}``."""
    dialect = db.session.get_bind().dialect
    column_type = Booking.__table__.c.start_utc.type
    convert = column_type.dialect_impl(dialect).result_processor(dialect, None) or (lambda value: value)
    return dict(zip(map(convert, held[0]), held[1]))


def holding_counts(division_id, first_dt, last_dt):
    """Places held per slot start in [first_dt, last_dt), in one grouped query."""
    return _counts(_held_places(division_id, first_dt, last_dt))


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


def availability(division, now, policy=None, first_day=None, last_day=None):
    """The slots of ``division`` within the window with their held places, in one query."""
    return _availability(division.id, scheduling.rule_values(division.rules),
                         scheduling.closure_values(division.closures), now, policy or current_policy(),
                         first_day, last_day)


def division_availability(slug, now, policy=None, first_day=None, last_day=None):
    """:func:`availability` of the active division ``slug``, or None: the public listing's lean path.

    The division's schedule (its rules and closures) comes from a per-process
    cache kept for ``SCHEDULE_CACHE_SECONDS``; the places held are read every time.
    """
    with _reading() as conn:
        schedule = _cached_schedule(slug, conn)
        if schedule is None:
            return None
        division_id, rules, closures = schedule
        return _availability(division_id, rules, closures, now, policy or current_policy(), first_day, last_day,
                             conn)


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


_SCHEDULES = "priyom.schedules"


def _cached_schedule(slug, conn):
    """``(division_id, rules, closures)`` of the active division ``slug``, or None.

    Rules and closures change a few times a year and the listing is read all
    day: reading them once per process every few seconds instead of on every
    request saves two of the listing's three queries. A change flushed by this
    process is seen at once (see :func:`_forget_schedules`), one made elsewhere
    within ``SCHEDULE_CACHE_SECONDS``; a booking is always checked against the
    rules as they are.
    """
    cache = current_app.extensions.setdefault(_SCHEDULES, {})
    found = cache.get(slug)
    if found is not None and found[0] > time.monotonic():
        return found[1]
    rows = conn.execute(_ACTIVE_DIVISION_RULES, {"slug": slug}).all()
    if not rows:
        return None  # not remembered: unknown names must not fill the cache
    division_id = rows[0][0]
    rules = scheduling.rule_values(scheduling.RuleValues(*row[1:]) for row in rows if row[1] is not None)
    closures = scheduling.closure_values(scheduling.ClosureValues(*row)
                                         for row in conn.execute(_CLOSURES, {"division_id": division_id}))
    schedule = (division_id, rules, closures)
    cache[slug] = (time.monotonic() + current_app.config["SCHEDULE_CACHE_SECONDS"], schedule)
    return schedule


@sa.event.listens_for(Session, "after_flush")
def _forget_schedules(session, _flush_context):
    """Drop this process's cached schedules when it changes a division, a rule or a closure."""
    if not has_app_context():
        return
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (Division, ReceptionRule, Closure)) for obj in touched):
        current_app.extensions.pop(_SCHEDULES, None)


def _availability(division_id, rules, closures, now, policy, first_day, last_day, conn=None):
    window = scheduling.booking_window(now, policy.tz, policy.horizon_days, policy.min_notice_minutes)
    lo = first_day or window.first_day
    hi = last_day or window.last_day
    holidays = scheduling.public_holidays(lo, hi, policy.holiday_country)
    slots = scheduling.bookable_slots(rules, closures, holidays, window, policy.tz, lo, hi)
    held = _held_places(division_id, slots[0].start_dt, slots[-1].end_dt, conn) if slots else ((), ())
    # The slots follow from the schedule's inputs and the first bookable start; the views add what is held.
    key = (rules, closures, policy.tz, policy.holiday_country, max(lo, window.first_day), min(hi, window.last_day),
           slots[0].start_dt if slots else None, held)
    return Availability(slots, held, key)


def slot_views(division, now, policy=None, first_day=None, last_day=None, only_free=True):
    """Bookable slots with free places, in time order."""
    return availability(division, now, policy, first_day, last_day).views(only_free)


def slot_view_at(division, start_dt, now, policy=None):
    """The bookable slot starting at ``start_dt`` with its free places, or None."""
    policy = policy or current_policy()
    day = start_dt.astimezone(policy.tz).date()
    for view in slot_views(division, now, policy, day, day, only_free=False):
        if view.start_dt == start_dt:
            return view
    return None


def free_alternatives(division, start_dt, now, policy=None):
    """The free slots nearest to ``start_dt``, other than it."""
    return _alternatives(division, start_dt, now, policy or current_policy(), exclude=start_dt)


def _alternatives(division, start_dt, now, policy, exclude=None):
    free = [v for v in slot_views(division, now, policy) if v.start_dt != exclude]
    return scheduling.nearest(free, start_dt, count=3)


def _bookable_slot(division, start_dt, now, policy):
    day = start_dt.astimezone(policy.tz).date()
    slot = scheduling.slot_at(schedule_slots(division, now, policy, day, day), start_dt)
    if slot is None:
        raise SlotNotBookable(alternatives=_alternatives(division, start_dt, now, policy))
    return slot


def _check_person_limit(division, details, now, policy, exclude_id=None):
    if not policy.max_active_per_person:
        return
    query = (sa.select(sa.func.count()).select_from(Booking)
             .where(Booking.division_id == division.id, Booking.status == BookingStatus.BOOKED,
                    Booking.end_utc > now,
                    sa.or_(Booking.email == details.email, Booking.phone == details.phone)))
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    if db.session.scalar(query) >= policy.max_active_per_person:
        raise LimitReached()


def _taken_places(division_id, start_dt):
    return set(db.session.scalars(
        sa.select(Booking.place_no).where(Booking.division_id == division_id, Booking.start_utc == start_dt,
                                          Booking.status.in_(BookingStatus.HOLDING))))


def _claim_place(booking, slot, flush_new=False):
    """Give ``booking`` a free place of ``slot``; the unique index arbitrates races."""
    taken = _taken_places(booking.division_id, slot.start_dt)
    for place_no in range(1, slot.capacity + 1):
        if place_no in taken:
            continue
        savepoint = db.session.begin_nested()
        booking.start_utc, booking.end_utc, booking.place_no = slot.start_dt, slot.end_dt, place_no
        if flush_new:
            db.session.add(booking)
        try:
            db.session.flush()
        except IntegrityError:
            savepoint.rollback()
            continue
        savepoint.commit()
        return True
    return False


def audit(booking, actor, action, detail="", now=None):
    """Record who did what to ``booking``."""
    entry = AuditEntry(booking=booking, actor_kind=actor.kind, actor_id=actor.user_id,
                       action=action, detail=detail)
    if now is not None:
        entry.at = now
    db.session.add(entry)
    return entry


def create_booking(division, start_dt, details, now, actor=None, policy=None, consent_at=None):
    """Book a place at ``start_dt``; returns ``(booking, manage_token)``.

    Raises :class:`SlotNotBookable`, :class:`LimitReached` or :class:`SlotTaken`
    (the last two carry the nearest free alternatives).
    """
    policy = policy or current_policy()
    actor = actor or Actor()
    slot = _bookable_slot(division, start_dt, now, policy)
    _check_person_limit(division, details, now, policy)

    token = new_token()
    booking = Booking(
        code=_unused_code(), division_id=division.id, full_name=details.full_name, phone=details.phone,
        email=details.email, topic=details.topic, message=details.message, account=details.account,
        address=details.address, locale=details.locale, consent_at=consent_at or now,
        manage_token_hash=hash_token(token), channel=actor.channel,
        created_by_id=actor.user_id, created_at=now, updated_at=now, status=BookingStatus.BOOKED,
    )
    booking.division = division
    if not _claim_place(booking, slot, flush_new=True):
        if booking in db.session:
            db.session.expunge(booking)
        raise SlotTaken(alternatives=_alternatives(division, start_dt, now, policy, exclude=start_dt))
    audit(booking, actor, "created", detail=actor.channel, now=now)
    return booking, token


def _unused_code():
    while True:
        code = new_code()
        if db.session.scalar(sa.select(Booking.id).where(Booking.code == code)) is None:
            return code


def find_booking(code, token):
    """The booking with ``code`` whose manage token is ``token``, else None."""
    if not code or not token:
        return None
    booking = db.session.scalar(sa.select(Booking).where(Booking.code == normalise_code(code)))
    if booking is None or not hmac.compare_digest(booking.manage_token_hash, hash_token(token)):
        return None
    return booking


def find_booking_by_code(code):
    return db.session.scalar(sa.select(Booking).where(Booking.code == normalise_code(code)))


def can_change(booking, now):
    """Whether the citizen may still cancel or move ``booking``."""
    return booking.status == BookingStatus.BOOKED and booking.start_utc > now


def cancel_booking(booking, now, actor=None, reason=""):
    """Cancel and free the place; the citizen or the division may do it."""
    actor = actor or Actor()
    if not can_change(booking, now):
        raise NotChangeable()
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = "citizen" if actor.kind == "citizen" else "division"
    booking.sequence += 1
    booking.updated_at = now
    audit(booking, actor, "cancelled", detail=reason, now=now)
    db.session.flush()
    return booking


def reschedule_booking(booking, new_start_dt, now, actor=None, policy=None):
    """Move ``booking`` to another bookable slot of its division."""
    policy = policy or current_policy()
    actor = actor or Actor()
    if not can_change(booking, now):
        raise NotChangeable()
    division = booking.division
    if new_start_dt == booking.start_utc:
        raise SlotNotBookable(alternatives=_alternatives(division, new_start_dt, now, policy, exclude=new_start_dt))
    slot = _bookable_slot(division, new_start_dt, now, policy)
    old_start = booking.start_utc
    old = (booking.start_utc, booking.end_utc, booking.place_no)
    if not _claim_place(booking, slot):
        booking.start_utc, booking.end_utc, booking.place_no = old
        raise SlotTaken(alternatives=_alternatives(division, new_start_dt, now, policy, exclude=new_start_dt))
    booking.sequence += 1
    booking.updated_at = now
    audit(booking, actor, "rescheduled", detail=f"{old_start.isoformat()} -> {new_start_dt.isoformat()}", now=now)
    db.session.flush()
    return booking


def bookings_for_day(division, day, tz, include_cancelled=True):
    """A division's bookings on local date ``day``, in time order."""
    start, end = local_day_bounds(day, tz)
    query = (sa.select(Booking).where(Booking.division_id == division.id,
                                      Booking.start_utc >= start, Booking.start_utc < end)
             .order_by(Booking.start_utc, Booking.place_no))
    if not include_cancelled:
        query = query.where(Booking.status != BookingStatus.CANCELLED)
    return db.session.scalars(query).all()
