"""Database tables.

Capacity is guarded here, not in Python: every booking that holds a place
(status booked, attended or no-show) owns a numbered place of its slot, and a
partial unique index on (division, slot start, place number) makes two holders
of one place impossible on SQLite and PostgreSQL alike. The service picks a
place number no greater than the slot's capacity and lets the index settle any
race.
"""
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from .core.timeutil import now_utc
from .core.vocabulary import BookingStatus, Role, Topic  # noqa: F401  (re-exported for the tables' users)
from . import change_counts
from .extensions import db


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            # SQLite stores text; a fixed naive-UTC form keeps ordering and comparisons right.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


_HOLDING_SQL = "status IN ('booked', 'attended', 'no_show')"


class Division(db.Model):
    __tablename__ = "division"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    head_name: Mapped[str] = mapped_column(sa.String(200))
    head_title: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(300))
    room: Mapped[str] = mapped_column(sa.String(100), default="")
    directions: Mapped[str] = mapped_column(sa.Text, default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    rules = relationship("ReceptionRule", back_populates="division", cascade="all, delete-orphan",
                         order_by="(ReceptionRule.weekday, ReceptionRule.start_time)")
    closures = relationship("Closure", back_populates="division", cascade="all, delete-orphan",
                            order_by="Closure.first_day")

    def __repr__(self):
        return f"<Division {self.slug}>"


class DivisionChangeCount(db.Model):
    """How many times what a division's pages show was written: kept by triggers (see :mod:`booking.change_counts`)."""

    __tablename__ = change_counts.TABLE

    division_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    changes: Mapped[int] = mapped_column(sa.BigInteger, default=0)


# A division's count of changes, read with the division only where a query asks for it
# (``undefer(Division.change_count)``): a head's divisions come with their counts in the
# one query that loads the head (accounts.auth.load_active_user).
Division.change_count = column_property(
    sa.select(DivisionChangeCount.changes).where(DivisionChangeCount.division_id == Division.id)
    .scalar_subquery(), deferred=True)


class ReceptionRule(db.Model):
    """A weekly reception session: weekday, hours, slot length and places per slot."""

    __tablename__ = "reception_rule"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_rule_weekday"),
        sa.CheckConstraint("slot_minutes > 0", name="ck_rule_slot_minutes"),
        sa.CheckConstraint("places > 0", name="ck_rule_places"),
        sa.CheckConstraint("end_time > start_time", name="ck_rule_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # Monday is 0, as in datetime.date.weekday()
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    slot_minutes: Mapped[int] = mapped_column(default=20)
    places: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(sa.Date, nullable=True)

    division = relationship("Division", back_populates="rules")


class Closure(db.Model):
    """Days (inclusive range) on which a division does not receive."""

    __tablename__ = "closure"
    __table_args__ = (sa.CheckConstraint("last_day >= first_day", name="ck_closure_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")

    division = relationship("Division", back_populates="closures")


class Booking(db.Model):
    __tablename__ = "booking"
    __table_args__ = (
        sa.CheckConstraint("place_no >= 1", name="ck_booking_place_no"),
        sa.CheckConstraint("end_utc > start_utc", name="ck_booking_times"),
        sa.CheckConstraint("status IN ('booked', 'cancelled', 'attended', 'no_show')",
                           name="ck_booking_status"),
        sa.Index("uq_booking_place", "division_id", "start_utc", "place_no", unique=True,
                 sqlite_where=sa.text(_HOLDING_SQL), postgresql_where=sa.text(_HOLDING_SQL)),
        sa.Index("ix_booking_division_start", "division_id", "start_utc"),
        sa.Index("ix_booking_phone", "phone"),
        sa.Index("ix_booking_email", "email"),
        # The statistics count a period's bookings by reception time and by the time they were made,
        # from these indexes alone (they hold every column those counts group by).
        sa.Index("ix_booking_start", "start_utc", "division_id", "status", "topic", "created_at"),
        sa.Index("ix_booking_created", "created_at", "division_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    division_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id"))
    start_utc: Mapped[datetime] = mapped_column(UTCDateTime)
    end_utc: Mapped[datetime] = mapped_column(UTCDateTime)
    place_no: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(16), default=BookingStatus.BOOKED)

    full_name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(32))  # E.164
    email: Mapped[str] = mapped_column(sa.String(254))  # lower-cased
    account: Mapped[str] = mapped_column(sa.String(64), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    topic: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Which consent text (CONSENT_VERSION) the citizen accepted.
    consent_version: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")
    locale: Mapped[str] = mapped_column(sa.String(8), default="ru")

    manage_token_hash: Mapped[str] = mapped_column(sa.String(64))
    # Grows on every change; calendars use it to order versions of one event.
    sequence: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str] = mapped_column(sa.String(16), default="web")  # web, api, phone
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    # The API client whose key made the booking (channel "api"), and a keyed hash of the client
    # address of a web booking (never the address itself): staff find and undo a burst by them.
    api_client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_client.id", name="fk_booking_api_client"),
                                               nullable=True, index=True)
    client_ref: Mapped[str] = mapped_column(sa.String(32), default="", server_default="", index=True)
    staff_note: Mapped[str] = mapped_column(sa.Text, default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by: Mapped[str] = mapped_column(sa.String(16), default="")  # citizen, division, system
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    division = relationship("Division")
    created_by = relationship("User")
    api_client = relationship("ApiClient")
    audit_entries = relationship("AuditEntry", back_populates="booking", order_by="AuditEntry.at",
                                 cascade="all, delete-orphan")

    @property
    def is_holding(self):
        return self.status in BookingStatus.HOLDING

    def __repr__(self):
        return f"<Booking {self.code} {self.status}>"




user_division = sa.Table(
    "user_division",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("division_id", sa.ForeignKey("division.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A member of staff: division head, hotline operator or administrator."""

    __tablename__ = "user"
    __table_args__ = (sa.CheckConstraint("role IN ('head', 'operator', 'admin', 'director')", name="ck_user_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    role: Mapped[str] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Stored in the session at login; raising it ends every earlier session of the account.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    divisions = relationship("Division", secondary=user_division, order_by="Division.name")

    @property
    def is_active(self):
        """Flask-Login: a deactivated account cannot log in or stay logged in."""
        return self.active


class LoginFailure(db.Model):
    """A wrong password for one e-mail address from one client address (both kept as keyed hashes)."""

    __tablename__ = "login_failure"
    __table_args__ = (sa.Index("ix_login_failure_pair", "account_key", "client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(sa.String(64))
    client_key: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AuditEntry(db.Model):
    """Who did what to a booking, or to a division's schedule (then without a booking), and when."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booking.id", ondelete="CASCADE"), index=True,
                                                   nullable=True)
    division_id: Mapped[int | None] = mapped_column(sa.ForeignKey("division.id", ondelete="CASCADE"), index=True,
                                                    nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    actor_kind: Mapped[str] = mapped_column(sa.String(16))  # citizen, operator, head, admin, system
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), nullable=True)
    action: Mapped[str] = mapped_column(sa.String(32))  # created, rescheduled, cancelled, attended, ...
    detail: Mapped[str] = mapped_column(sa.Text, default="")

    booking = relationship("Booking", back_populates="audit_entries")
    division = relationship("Division")
    actor = relationship("User")


class FeedToken(db.Model):
    """The secret of a division's private agenda feed; only its hash is kept.

    The token is an HMAC of ``nonce`` under the application's SECRET_KEY, so the
    application can show the link again while the database alone cannot.
    """

    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    nonce: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    division = relationship("Division")


class OutboxMessage(db.Model):
    """An e-mail or SMS stored in the same transaction as the change that causes it."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Makes queuing idempotent, e.g. one reminder per booking, start and offset.
    dedup_key: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("booking.id", ondelete="SET NULL"),
                                            nullable=True, index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    ics: Mapped[str] = mapped_column(sa.Text, default="")
    ics_method: Mapped[str] = mapped_column(sa.String(16), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending, sending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    claimed_by: Mapped[str] = mapped_column(sa.String(64), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # The finished message (RFC 5322 bytes) written when queued, so every attempt sends the same
    # bytes; dropped once sent, as it may carry the private manage link.
    raw_message: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=True)
    # "email", or "sms" (a text to the booking's phone: ``recipient`` is E.164, ``body_text`` the text).
    channel: Mapped[str] = mapped_column(sa.String(8), default="email", server_default="email")
    # What the operator reported about an SMS: "" (nothing yet), "delivered" or "failed".
    delivery_status: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")


class DeliveryWorker(db.Model):
    """A delivery worker at work, with its last sign of life (see ``notify/heartbeat.py``)."""

    __tablename__ = "delivery_worker"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ApiClient(db.Model):
    """A program allowed to use the API's protected side (hotline software, statistics); only its key's hash is kept.

    ``permissions`` is a space-separated set of ``booking.accounts.api_clients.PERMISSIONS``.
    """

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The key's first characters, so staff can tell keys apart without the key itself.
    key_prefix: Mapped[str] = mapped_column(sa.String(16), default="")
    permissions: Mapped[str] = mapped_column(sa.String(200), default="bookings")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def permission_set(self):
        return frozenset(self.permissions.split())

    @property
    def active(self):
        return self.revoked_at is None

    def __repr__(self):
        return f"<ApiClient {self.name}>"
class District(db.Model):
    """A Moscow district («Бескудниковский») and the division whose networks serve it."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    division_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id", ondelete="CASCADE"), index=True)

    division = relationship("Division")


change_counts.attach(db.metadata)
