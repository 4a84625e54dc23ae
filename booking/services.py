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

from . import mail, scheduling
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
    # The consent text a booking made now accepts (CONSENT_VERSION).
    consent_version: str = ""

    @classmethod
    def from_config(cls, config):
        return cls(
            tz=get_tz(config["BOOKING_TIMEZONE"]),
            horizon_days=config["BOOKING_HORIZON_DAYS"],
            min_notice_minutes=config["BOOKING_MIN_NOTICE_MINUTES"],
            max_active_per_person=config["BOOKING_MAX_ACTIVE_PER_PERSON"],
            holiday_country=config["BOOKING_HOLIDAY_COUNTRY"],
            consent_version=config.get("CONSENT_VERSION", ""),
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


def _person_lock_key(division_id, kind, value):
    digest = hashlib.blake2b(f"{division_id}:{kind}:{value}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _serialise_person(division_id, details):
    """Let one transaction at a time check and use a person's allowance at a division.

    On PostgreSQL two requests of the same person would both count zero bookings
    and both book; a transaction-scoped advisory lock per e-mail and per phone
    (taken in a fixed order) makes the second wait for the first. SQLite needs
    nothing: writing transactions already run one at a time (BEGIN IMMEDIATE).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_person_lock_key(division_id, kind, value)
                   for kind, value in (("email", details.email), ("phone", details.phone)) if value})
    for key in keys:
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _same_person(details):
    """Conditions matching this person's bookings: same e-mail or same phone (an empty e-mail matches none)."""
    conditions = [Booking.phone == details.phone]
    if details.email:
        conditions.append(Booking.email == details.email)
    return conditions


def _check_person_limit(division, details, now, policy, exclude_id=None):
    if not policy.max_active_per_person:
        return
    _serialise_person(division.id, details)
    query = (sa.select(sa.func.count()).select_from(Booking)
             .where(Booking.division_id == division.id, Booking.status == BookingStatus.BOOKED,
                    Booking.end_utc > now,
                    sa.or_(*_same_person(details))))
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
        consent_version=policy.consent_version,
        manage_token_hash=hash_token(token), channel=actor.channel,
        created_by_id=actor.user_id, created_at=now, updated_at=now, status=BookingStatus.BOOKED,
    )
    booking.division = division
    if not _claim_place(booking, slot, flush_new=True):
        if booking in db.session:
            db.session.expunge(booking)
        raise SlotTaken(alternatives=_alternatives(division, start_dt, now, policy, exclude=start_dt))
    audit(booking, actor, "created", detail=actor.channel, now=now)
    mail.queue_confirmation(booking, token, now)
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


def send_manage_link(code, email, now):
    """Mail a renewal link when ``email`` is the booking's address; silent either way."""
    booking = find_booking_by_code(code)
    if booking is None or not booking.email or booking.purged_at is not None:
        return False
    if not hmac.compare_digest(booking.email.encode("utf-8"), email.encode("utf-8")):
        return False
    return mail.queue_manage_link(booking, now)


def renew_manage_token(booking, now, actor=None):
    """Replace the manage token (the old link stops working); returns the new one."""
    token = new_token()
    booking.manage_token_hash = hash_token(token)
    audit(booking, actor or Actor(), "link_renewed", now=now)
    db.session.flush()
    return token


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
    mail.queue_cancellation_notice(booking, now, reason=reason)
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
    mail.queue_reschedule_notice(booking, old_start, now)
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


# --- Staff side: the agenda, marks and notes, search, and schedule changes ------------------------
#
# Marking rule: a visit can be marked attended or no-show from the local day of its reception on
# (never before), and the mark can be changed afterwards; a cancelled booking cannot be marked.


class TooEarly(BookingError):
    """The reception day has not come yet."""

    code = "too_early"


STAFF_MARKS = (BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
STAFF_NOTE_MAX = 2000


@dataclass(frozen=True)
class AgendaRow:
    """One line of a day's agenda: a booking, or the free places of a slot."""

    start_dt: object
    end_dt: object
    booking: object = None
    free_places: int = 0
    # True for a booking kept at a time the reception rules no longer lay out.
    off_schedule: bool = False


@dataclass
class Agenda:
    day: object
    rows: list
    cancelled: list
    closures: list


@dataclass(frozen=True)
class RuleSpec:
    """The shape of a reception rule, detached from the database, for what-if schedules."""

    weekday: int
    start_time: object
    end_time: object
    slot_minutes: int = 20
    places: int = 1
    valid_from: object = None
    valid_until: object = None

    @classmethod
    def of(cls, rule):
        return cls(rule.weekday, rule.start_time, rule.end_time, rule.slot_minutes, rule.places,
                   rule.valid_from, rule.valid_until)


@dataclass(frozen=True)
class ClosureSpec:
    first_day: object
    last_day: object
    reason: str = ""

    @classmethod
    def of(cls, closure):
        return cls(closure.first_day, closure.last_day, closure.reason)


def all_divisions():
    """Every division, open for bookings or not, by name."""
    return db.session.scalars(sa.select(Division).order_by(Division.name)).all()


def agenda_day(division, day, policy):
    """Every slot the rules lay out on local date ``day``, its bookings and free places, in time order.

    Bookings at times the rules no longer produce (kept as exceptions) are listed too.
    """
    holidays = scheduling.public_holidays(day, day, policy.holiday_country)
    slots = scheduling.generate_slots(division.rules, division.closures, holidays, day, day, policy.tz)
    bookings = bookings_for_day(division, day, policy.tz)
    holding = [b for b in bookings if b.is_holding]
    rows = []
    slot_starts = {s.start_dt for s in slots}
    for slot in slots:
        holders = [b for b in holding if b.start_utc == slot.start_dt]
        rows.extend(AgendaRow(slot.start_dt, slot.end_dt, booking=b) for b in holders)
        if len(holders) < slot.capacity:
            rows.append(AgendaRow(slot.start_dt, slot.end_dt, free_places=slot.capacity - len(holders)))
    rows.extend(AgendaRow(b.start_utc, b.end_utc, booking=b, off_schedule=True)
                for b in holding if b.start_utc not in slot_starts)
    rows.sort(key=lambda r: (r.start_dt, r.booking is None, r.booking.place_no if r.booking else 0))
    closures = [c for c in division.closures if c.first_day <= day <= c.last_day]
    return Agenda(day=day, rows=rows, cancelled=[b for b in bookings if not b.is_holding], closures=closures)


def can_mark(booking, now, tz):
    """Whether the visit can be marked attended or no-show now."""
    return booking.is_holding and booking.start_utc.astimezone(tz).date() <= now.astimezone(tz).date()


def mark_booking(booking, status, now, actor, tz):
    """Mark the visit attended or no-show (see the marking rule above)."""
    if status not in STAFF_MARKS:
        raise ValueError(f"not a mark: {status}")
    if not booking.is_holding:
        raise NotChangeable()
    if not can_mark(booking, now, tz):
        raise TooEarly()
    if booking.status == status:
        return booking
    booking.status = status
    booking.updated_at = now
    audit(booking, actor, status, now=now)
    db.session.flush()
    return booking


def set_staff_note(booking, note, now, actor):
    """Replace the private staff note of ``booking``."""
    note = (note or "").strip()[:STAFF_NOTE_MAX]
    if note == (booking.staff_note or ""):
        return booking
    booking.staff_note = note
    booking.updated_at = now
    audit(booking, actor, "note", detail=note, now=now)
    db.session.flush()
    return booking


def search_bookings(code=None, phone=None, limit=50):
    """Bookings with this code or this E.164 phone number, latest reception first."""
    conditions = []
    if code:
        conditions.append(Booking.code == normalise_code(code))
    if phone:
        conditions.append(Booking.phone == phone)
    if not conditions:
        return []
    return db.session.scalars(sa.select(Booking).where(sa.or_(*conditions))
                              .order_by(Booking.start_utc.desc()).limit(limit)).all()


def off_schedule_bookings(division, rules, closures, now, policy):
    """Future ``booked`` bookings of ``division`` that ``rules`` and ``closures`` would leave without a place.

    A booking is left out when no slot starts at its time, or when its slot has fewer
    places than bookings (those booked last lose theirs).
    """
    future = db.session.scalars(
        sa.select(Booking).where(Booking.division_id == division.id, Booking.status == BookingStatus.BOOKED,
                                 Booking.start_utc > now)
        .order_by(Booking.start_utc, Booking.place_no)).all()
    if not future:
        return []
    first = future[0].start_utc.astimezone(policy.tz).date()
    last = future[-1].start_utc.astimezone(policy.tz).date()
    holidays = scheduling.public_holidays(first, last, policy.holiday_country)
    slots = {s.start_dt: s for s in scheduling.generate_slots(rules, closures, holidays, first, last, policy.tz)}
    held, left_out = {}, []
    for booking in future:
        slot = slots.get(booking.start_utc)
        held[booking.start_utc] = held.get(booking.start_utc, 0) + 1
        if slot is None or held[booking.start_utc] > slot.capacity:
            left_out.append(booking)
    return left_out


def affected_bookings(division, rules, closures, now, policy):
    """The future bookings that a change to ``rules``/``closures`` would newly leave without a slot.

    Bookings already kept outside the current schedule are not counted again.
    """
    current = {b.id for b in off_schedule_bookings(division, [RuleSpec.of(r) for r in division.rules],
                                                   [ClosureSpec.of(c) for c in division.closures], now, policy)}
    return [b for b in off_schedule_bookings(division, rules, closures, now, policy) if b.id not in current]


def rules_with(division, replace=None, spec=None):
    """The division's rules as specs, with rule ``replace`` swapped for ``spec`` (None: removed; added when
    ``replace`` is None)."""
    rules = [RuleSpec.of(r) for r in division.rules if replace is None or r.id != replace.id]
    return rules + ([spec] if spec is not None else [])


def closures_with(division, spec):
    """The division's closures as specs, plus ``spec``."""
    return [ClosureSpec.of(c) for c in division.closures] + [spec]


def settle_affected(bookings, decision, now, actor, reason=""):
    """Cancel the affected ``bookings`` (``decision == "cancel"``) or keep them as exceptions (``"keep"``)."""
    if decision not in ("cancel", "keep"):
        raise ValueError(f"unknown decision: {decision}")
    for booking in bookings:
        if decision == "cancel":
            cancel_booking(booking, now, actor=actor, reason=reason)
        else:
            audit(booking, actor, "kept_as_exception", detail=reason, now=now)
    db.session.flush()
    return bookings
