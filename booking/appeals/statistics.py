"""The leadership's figures for a period: bookings, visits, topics, outcomes and answers kept on time.

Every figure is a grouped query over indexed columns (``booking.created_at``,
``booking.start_utc``, ``reception_card.visit_day``); no booking is loaded
into Python. Medians are read with ORDER BY … OFFSET, which both SQLite and
PostgreSQL do through the index order. Only the free places need the
schedule: the slots of the current weekly rules are laid out in Python (a
few hundred per division and quarter) and set against one grouped count.

Request-free: :func:`report` takes the period, the division (or None for all),
``now`` and the settings, and returns plain data (see :class:`Report`).
"""
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from ..core import scheduling
from ..core.timeutil import local_day_bounds, local_today
from ..extensions import db
from ..models import Booking, BookingStatus, Division, Topic
from .models import Outcome, ReceptionCard, Result, WrittenAnswer

CHANNELS = ("web", "phone", "api")
VISIT_STATES = ("held", "no_show", "cancelled", "unmarked")
ANSWER_STATES = ("on_time", "late", "open", "overdue")
MAX_DAYS = 366 * 2


@dataclass
class Report:
    """The figures of one period; counts keyed by stable names (channel, status, topic, outcome…)."""

    first_day: date
    last_day: date
    division: str = None  # slug, None for all divisions
    bookings_by_channel: dict = field(default_factory=dict)
    visits: dict = field(default_factory=dict)
    by_topic: dict = field(default_factory=dict)
    topic_by_division: list = field(default_factory=list)  # [{"division", "name", "name_en", topic: n…}]
    visits_by_week: list = field(default_factory=list)  # [{"week": Monday, "held": n}]
    outcomes: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    written_answers: dict = field(default_factory=dict)
    median_days: dict = field(default_factory=dict)
    places: dict = field(default_factory=dict)

    def as_json(self):
        """The report as JSON-ready values (dates in ISO 8601)."""
        data = asdict(self)
        data["first_day"], data["last_day"] = self.first_day.isoformat(), self.last_day.isoformat()
        data["visits_by_week"] = [{**row, "week": row["week"].isoformat()} for row in self.visits_by_week]
        return data


class PeriodError(ValueError):
    """The period is empty, reversed, too long, or outside the years the service can have records of."""


# Far enough either side of any booking; beyond them the time-zone arithmetic would overflow.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def check_period(first_day, last_day):
    if not (EARLIEST <= first_day <= LATEST and EARLIEST <= last_day <= LATEST):
        raise PeriodError("out_of_range")
    if last_day < first_day:
        raise PeriodError("reversed")
    if (last_day - first_day).days > MAX_DAYS:
        raise PeriodError("too_long")


def _dialect():
    return db.session.get_bind().dialect.name


def _local_date(column, tz, first_dt):
    """SQL for the local date of a UTC timestamp column."""
    if _dialect() == "postgresql":
        return sa.func.date(sa.func.timezone(tz.key, column))
    hours = int(first_dt.astimezone(tz).utcoffset().total_seconds() // 3600)
    return sa.func.date(column, f"{hours:+d} hours")


def _days_between(later, earlier, dates=False):
    """SQL for the days from ``earlier`` to ``later`` (timestamps, or dates when ``dates``)."""
    if _dialect() == "postgresql":
        if dates:
            return sa.cast(later - earlier, sa.Float)
        return sa.extract("epoch", later - earlier) / 86400.0
    return sa.func.julianday(later) - sa.func.julianday(earlier)


def _median(expression, conditions, joins=(), hint=lambda query: query):
    """The median of ``expression`` over the rows matching ``conditions``, by ORDER BY … OFFSET."""
    base = hint(sa.select(expression.label("v")))
    if joins:
        base = base.select_from(joins[0][2])
    for target, on, *_left in joins:
        base = base.join(target, on)
    base = base.where(*conditions)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    if not count:
        return None
    ordered = base.order_by(expression)
    lower = db.session.scalar(ordered.offset((count - 1) // 2).limit(1))
    upper = db.session.scalar(ordered.offset(count // 2).limit(1))
    return round((float(lower) + float(upper)) / 2, 1)


def _by_start(query, division=None):
    """``query`` read from ``ix_booking_start`` alone when it spans every division.

    SQLite would otherwise skip-scan the (division, start) index and visit
    every row; PostgreSQL chooses the covering index by itself.
    """
    if division is None:
        return query.with_hint(Booking, "INDEXED BY ix_booking_start", "sqlite")
    return query


def _grouped(query):
    return {key: count for key, count in db.session.execute(query).all()}


def report(first_day, last_day, division, now, settings):
    """The figures for local days ``first_day``…``last_day`` (inclusive), for ``division`` or all (None)."""
    check_period(first_day, last_day)
    tz = settings.tz
    first_dt, _ = local_day_bounds(first_day, tz)
    _, end_dt = local_day_bounds(last_day, tz)
    params = dict(first_dt=first_dt, end_dt=end_dt)
    by_division = [Booking.division_id == division.id] if division is not None else []
    in_period = [Booking.start_utc >= first_dt, Booking.start_utc < end_dt, *by_division]
    cards_in_period = [ReceptionCard.visit_day >= first_day, ReceptionCard.visit_day <= last_day]
    if division is not None:
        cards_in_period.append(ReceptionCard.division_id == division.id)
    result = Report(first_day=first_day, last_day=last_day, division=division.slug if division else None)

    made = _grouped(sa.select(Booking.channel, sa.func.count()).where(
        Booking.created_at >= first_dt, Booking.created_at < end_dt, *by_division).group_by(Booking.channel))
    result.bookings_by_channel = {c: made.get(c, 0) for c in CHANNELS}
    result.bookings_by_channel["total"] = sum(made.values())

    statuses = _grouped(_by_start(sa.select(Booking.status, sa.func.count()).where(*in_period)
                                  .group_by(Booking.status), division))
    result.visits = {"held": statuses.get(BookingStatus.ATTENDED, 0), "no_show": statuses.get(BookingStatus.NO_SHOW, 0),
                     "cancelled": statuses.get(BookingStatus.CANCELLED, 0),
                     "unmarked": statuses.get(BookingStatus.BOOKED, 0)}

    not_cancelled = [*in_period, Booking.status != BookingStatus.CANCELLED]
    topic_rows = db.session.execute(_by_start(
        sa.select(Booking.division_id, Booking.topic, sa.func.count())
        .where(*not_cancelled).group_by(Booking.division_id, Booking.topic), division)).all()
    # A card may correct the booking's topic: the few corrected ones move from one count to the other.
    corrections = db.session.execute(
        sa.select(Booking.division_id, Booking.topic, ReceptionCard.topic, sa.func.count())
        .select_from(ReceptionCard).join(Booking, Booking.id == ReceptionCard.booking_id)
        .where(*cards_in_period, ReceptionCard.topic != Booking.topic, Booking.status != BookingStatus.CANCELLED)
        .group_by(Booking.division_id, Booking.topic, ReceptionCard.topic)).all()
    per_division = {}
    for division_id, topic_name, count in topic_rows:
        per_division.setdefault(division_id, {t: 0 for t in tuple(Topic)})[topic_name] = count
    for division_id, booked_as, corrected_to, count in corrections:
        counts = per_division.setdefault(division_id, {t: 0 for t in tuple(Topic)})
        counts[booked_as] = counts.get(booked_as, 0) - count
        counts[corrected_to] = counts.get(corrected_to, 0) + count
    result.by_topic = {t: 0 for t in tuple(Topic)}
    for counts in per_division.values():
        for topic_name, count in counts.items():
            result.by_topic[topic_name] = result.by_topic.get(topic_name, 0) + count
    if per_division:
        names = db.session.execute(sa.select(Division.id, Division.slug, Division.name, Division.name_en)
                                   .where(Division.id.in_(per_division)).order_by(Division.name)).all()
        result.topic_by_division = [{"division": slug, "name": name, "name_en": name_en or name, **per_division[i]}
                                    for i, slug, name, name_en in names]

    day = _local_date(Booking.start_utc, tz, first_dt).label("day")
    held_days = db.session.execute(_by_start(sa.select(day, sa.func.count()).where(
        *in_period, Booking.status == BookingStatus.ATTENDED).group_by(day), division)).all()
    weeks = {}
    monday = first_day - timedelta(days=first_day.weekday())
    while monday <= last_day:
        weeks[monday] = 0
        monday += timedelta(days=7)
    for value, count in held_days:
        when = value if isinstance(value, date) else date.fromisoformat(str(value))
        weeks[when - timedelta(days=when.weekday())] += count
    result.visits_by_week = [{"week": week, "held": count} for week, count in weeks.items()]

    outcomes = _grouped(sa.select(ReceptionCard.outcome, sa.func.count()).where(*cards_in_period)
                        .group_by(ReceptionCard.outcome))
    result.outcomes = {o.value: outcomes.get(o.value, 0) for o in Outcome}
    results = _grouped(sa.select(ReceptionCard.result, sa.func.count()).where(*cards_in_period)
                       .group_by(ReceptionCard.result))
    result.results = {r.value: results.get(r.value, 0) for r in Result}
    result.results["open"] = results.get(None, 0)

    today = local_today(now, tz)
    answer_state = sa.case((WrittenAnswer.id.is_(None), sa.case((ReceptionCard.due_date < today, "overdue"),
                                                                else_="open")),
                           (WrittenAnswer.sent_on <= ReceptionCard.due_date, "on_time"), else_="late")
    answers = _grouped(sa.select(answer_state, sa.func.count()).select_from(ReceptionCard)
                       .outerjoin(WrittenAnswer, WrittenAnswer.card_id == ReceptionCard.id)
                       .where(*cards_in_period, ReceptionCard.outcome == Outcome.WRITTEN_DUE).group_by(answer_state))
    result.written_answers = {s: answers.get(s, 0) for s in ANSWER_STATES}
    # "open" counts every answer not yet sent; "overdue" is the part of them past the due date.
    result.written_answers["open"] += result.written_answers["overdue"]

    result.median_days = {
        "booking_to_visit": _median(_days_between(Booking.start_utc, Booking.created_at),
                                    [*in_period, Booking.status == BookingStatus.ATTENDED],
                                    hint=lambda query: _by_start(query, division)),
        "visit_to_answer": _median(_days_between(WrittenAnswer.sent_on, ReceptionCard.visit_day, dates=True),
                                   cards_in_period,
                                   joins=[(WrittenAnswer, WrittenAnswer.card_id == ReceptionCard.id, ReceptionCard)]),
    }
    result.places = _places(first_day, last_day, division, now, settings, params)
    return result


def _places(first_day, last_day, division, now, settings, params):
    """Places offered by the current weekly rules in the past part of the period, and how many stayed free.

    Places held are counted per division in one grouped query; a booking kept
    outside the reception hours counts as holding a place too (they are rare).
    """
    tz = settings.tz
    last = min(last_day, local_today(now, tz))
    if last < first_day:
        return {"offered": 0, "unused": 0}
    divisions = [division] if division is not None else db.session.scalars(sa.select(Division)).all()
    holidays = scheduling.public_holidays(first_day, last, settings.holiday_country)
    offered, until = {}, params["first_dt"]
    for each in divisions:
        slots = [s for s in scheduling.generate_slots(each.rules, each.closures, holidays, first_day, last, tz)
                 if s.end_dt <= now]
        if slots:
            offered[each.id] = sum(s.capacity for s in slots)
            until = max(until, slots[-1].end_dt)
    if not offered:
        return {"offered": 0, "unused": 0}
    held = _grouped(_by_start(sa.select(Booking.division_id, sa.func.count())
                              .where(Booking.start_utc >= params["first_dt"], Booking.start_utc < until,
                                     Booking.division_id.in_(list(offered)), Booking.status.in_(BookingStatus.HOLDING))
                              .group_by(Booking.division_id), division))
    unused = sum(max(0, places - held.get(division_id, 0)) for division_id, places in offered.items())
    return {"offered": sum(offered.values()), "unused": unused}
