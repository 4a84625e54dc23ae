"""Calendar feeds: the secret links of the agenda feeds, what each feed lists, and its validators.

Agenda links. The token in a head's feed URL is an HMAC-SHA256 of a random
256-bit nonce under SECRET_KEY. The database keeps the nonce and a SHA-256 hash
of the token (the lookup key), never the token: a copy of the database alone
cannot rebuild a working link, yet the application can show the current link
again on the agenda page and in ``flask feed-url``. Rotating draws a new nonce,
so the old link stops working with the commit. If SECRET_KEY changes, existing
links keep working (they are found by their hash) but can no longer be shown:
they must be rotated to be displayed again.

Validators. Each feed has an ETag derived from everything that shapes its
bytes, computed before any event is loaded or written (one aggregate query for
the agenda), so a conditional GET of an unchanged feed costs no rendering.
"""
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from ..core import ical, scheduling
from ..extensions import db
from ..i18n import booking_language, calendar_texts
from ..models import Booking, BookingStatus, FeedToken
from ..bookings.values import hash_token
from ..core.timeutil import local_day_bounds, local_today

# Part of every ETag: bump it when what the feeds write changes shape, so clients fetch again.
FEED_FORMAT = "2"
TOKEN_MAX_LENGTH = 128
RECEPTION_REFRESH = timedelta(hours=12)


@dataclass(frozen=True)
class FeedSettings:
    """What the feeds need of the configuration."""

    secret_key: str | bytes
    sender: str = ""
    past_weeks: int = 4
    keep_cancelled_days: int = 30
    refresh_minutes: int = 15

    @classmethod
    def from_config(cls, config):
        return cls(secret_key=config["SECRET_KEY"],
                   sender=parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[1],
                   past_weeks=config["FEED_PAST_WEEKS"], keep_cancelled_days=config["FEED_KEEP_CANCELLED_DAYS"],
                   refresh_minutes=config["FEED_REFRESH_MINUTES"])


@dataclass(frozen=True)
class Validators:
    """What a client compares to skip an unchanged feed."""

    etag: str
    last_modified: datetime | None = None


@dataclass(frozen=True)
class Feed:
    """A feed ready to answer: its validators now, its bytes only when ``render()`` is called."""

    validators: Validators
    filename: str
    render: Callable[[], bytes]


@dataclass(frozen=True)
class AgendaRange:
    """The instants an agenda feed covers, on whole local days so the feed is stable within a day."""

    first_dt: datetime
    end_dt: datetime
    cancelled_since_dt: datetime
    today_start_dt: datetime


# --- agenda links ------------------------------------------------------------------------------


def _derive_token(nonce, settings):
    key = settings.secret_key
    key = key.encode("utf-8") if isinstance(key, str) else key
    digest = hmac.new(key, b"agenda-feed:" + nonce.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _feed_token_row(division):
    return db.session.scalar(sa.select(FeedToken).where(FeedToken.division_id == division.id))


def _shown_token(row, settings):
    """The plain token of ``row``, or None when SECRET_KEY changed since it was issued."""
    token = _derive_token(row.nonce, settings)
    return token if hmac.compare_digest(hash_token(token), row.token_hash) else None


def feed_token_state(division, settings):
    """``(exists, token)``: whether ``division`` has an agenda link, and its token if it can be shown."""
    row = _feed_token_row(division)
    if row is None:
        return False, None
    return True, _shown_token(row, settings)


def rotate_feed_token(division, now, settings):
    """Give ``division`` a new agenda link (creating the first one); the previous link stops working."""
    row = _feed_token_row(division)
    if row is None:
        row = FeedToken(division_id=division.id)
        db.session.add(row)
    row.nonce = secrets.token_hex(32)
    token = _derive_token(row.nonce, settings)
    row.token_hash = hash_token(token)
    row.created_at = now
    db.session.flush()
    return token


def ensure_feed_token(division, now, settings):
    """``(token, created)``: the agenda link's token, creating it when there is none.

    The token is None when a link exists but cannot be shown (SECRET_KEY changed): rotate it.
    """
    row = _feed_token_row(division)
    if row is None:
        return rotate_feed_token(division, now, settings), True
    return _shown_token(row, settings), False


def find_feed_token(token):
    """The FeedToken (with its division loaded) whose token is ``token``, else None."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return db.session.scalar(
        sa.select(FeedToken).join(FeedToken.division).options(contains_eager(FeedToken.division))
        .where(FeedToken.token_hash == hash_token(token)))


# --- what the feeds list -----------------------------------------------------------------------


def organizer_email(division, sender=""):
    """The address calendars show as organiser: the division's, else the service's sender."""
    return division.email or sender


def _etag(*parts):
    return hashlib.sha256("\x1f".join(map(str, (FEED_FORMAT,) + parts)).encode("utf-8")).hexdigest()[:40]


def _division_fingerprint(division, locale, sender):
    """What of the division a feed writes, so editing it changes the feed's ETag."""
    return (division.id, ical.division_name(division, locale), division.address, division.room,
            division.head_title, division.head_name, division.directions, organizer_email(division, sender))


def agenda_range(now, policy, past_weeks, keep_cancelled_days):
    """From ``past_weeks`` back to the end of the booking window; cancellations of the last days."""
    today = local_today(now, policy.tz)
    window = scheduling.booking_window(now, policy.tz, policy.horizon_days, policy.min_notice_minutes)
    return AgendaRange(
        first_dt=local_day_bounds(today - timedelta(weeks=past_weeks), policy.tz)[0],
        end_dt=local_day_bounds(window.last_day, policy.tz)[1],
        cancelled_since_dt=local_day_bounds(today - timedelta(days=keep_cancelled_days), policy.tz)[0],
        today_start_dt=local_day_bounds(today, policy.tz)[0],
    )


def _agenda_criteria(division_id, span):
    # Leads with (division_id, start_utc): the ix_booking_division_start index bounds the scan.
    return (Booking.division_id == division_id, Booking.start_utc >= span.first_dt, Booking.start_utc < span.end_dt,
            sa.or_(Booking.status != BookingStatus.CANCELLED, Booking.cancelled_at >= span.cancelled_since_dt))


def agenda_validators(feed_token, span, locale, sender=""):
    """ETag and Last-Modified of an agenda feed, from one aggregate query over its range."""
    division = feed_token.division
    count, last_updated, sequences = db.session.execute(
        sa.select(sa.func.count(Booking.id), sa.func.max(Booking.updated_at), sa.func.sum(Booking.sequence))
        .where(*_agenda_criteria(division.id, span))).one()
    # Whole local days bound the feed, so it can change at midnight without any booking changing.
    last_modified = max(filter(None, (last_updated, feed_token.created_at, span.today_start_dt)))
    etag = _etag("agenda", feed_token.token_hash, locale, span.first_dt, span.end_dt, span.cancelled_since_dt,
                 count, last_updated, sequences, *_division_fingerprint(division, locale, sender))
    return Validators(etag=etag, last_modified=last_modified)


def agenda_bookings(division, span):
    """The bookings an agenda feed lists, in time order: one query on the division's index."""
    return db.session.scalars(
        sa.select(Booking).where(*_agenda_criteria(division.id, span))
        .order_by(Booking.start_utc, Booking.place_no)).all()


def agenda_feed(token, now, policy, settings, locale="ru"):
    """The private agenda feed behind ``token``, or None for an unknown or rotated token."""
    feed_token = find_feed_token(token)
    if feed_token is None:
        return None
    division = feed_token.division
    span = agenda_range(now, policy, settings.past_weeks, settings.keep_cancelled_days)
    validators = agenda_validators(feed_token, span, locale, settings.sender)

    def render():
        organizer = organizer_email(division, settings.sender)
        texts = calendar_texts(locale)
        appointments = [ical.visit_appointment(b, division, texts, organizer) for b in agenda_bookings(division, span)]
        name = ical.agenda_calendar_name(division, texts)
        refresh = timedelta(minutes=settings.refresh_minutes)
        return ical.feed_ics(appointments, policy.tz, validators.last_modified, name, refresh)

    return Feed(validators=validators, filename=f"{division.slug}-agenda.ics", render=render)


def reception_feed(division, now, policy, settings, locale="ru", booking_url=""):
    """The public reception hours of ``division``, from today to the end of the booking window."""
    window = scheduling.booking_window(now, policy.tz, policy.horizon_days, policy.min_notice_minutes)
    holidays = scheduling.public_holidays(window.first_day, window.last_day, policy.holiday_country)
    sessions = scheduling.reception_sessions(division.rules, division.closures, holidays,
                                             window.first_day, window.last_day, policy.tz)
    today_start_dt = local_day_bounds(window.first_day, policy.tz)[0]
    # Rules and closures carry no modification time: the ETag hashes the sessions themselves.
    etag = _etag("reception", locale, window.first_day, booking_url,
                 *_division_fingerprint(division, locale, settings.sender),
                 *((s.start_dt, s.end_dt) for s in sessions))

    def render():
        organizer = organizer_email(division, settings.sender)
        texts = calendar_texts(locale)
        appointments = [ical.session_appointment(s, division, texts, booking_url, organizer) for s in sessions]
        name = ical.reception_calendar_name(division, texts)
        return ical.feed_ics(appointments, policy.tz, today_start_dt, name, RECEPTION_REFRESH)

    return Feed(validators=Validators(etag=etag), filename=f"{division.slug}-reception.ics", render=render)


def booking_ics(booking, now, policy, settings, manage_url=""):
    """One booking as a downloadable .ics, in the language the citizen booked in."""
    return ical.booking_ics(booking, policy.tz, now, method="PUBLISH", manage_url=manage_url,
                            texts=calendar_texts(booking_language(booking)),
                            organizer_email=organizer_email(booking.division, settings.sender))
