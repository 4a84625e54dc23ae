"""E-mail to citizens: messages from templates, an outbox in the database, and its delivery.

Every message is first a row of ``outbox_message`` written in the transaction
of the change that causes it (a booking, a move, a cancellation, a due
reminder), so a change is never without its message and a request never
talks to the mail server. :func:`deliver_due` later claims due rows (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL, a ``BEGIN IMMEDIATE`` transaction on
SQLite), sends a batch over one SMTP connection and commits each row as sent
the moment the server has accepted it; failures are retried with exponential
back-off and, after the last attempt, marked failed for staff to see.

The manage token exists in plain form only while the booking is being
created, so only the confirmation carries the private manage link. Later
messages point to a page where the citizen asks for a fresh link by e-mail;
that message carries a signed, single-use renewal link. Calendar invites
never carry a secret (calendars get shared), and sent messages have their
secrets blanked in the outbox.
"""
import hashlib
import logging
import os
import re
import secrets
import smtplib
import socket
import ssl
import time
import unicodedata
from dataclasses import dataclass, fields
from datetime import timedelta, timezone
from email import policy
from email.charset import BASE64, Charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import urlsplit

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_request_context, request
from flask_babel import force_locale, format_date
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite

from . import ical
from .database import outcome_connection, write_intent
from .extensions import db
from .formatting import clock, long_date
from .models import AuditEntry, Booking, BookingStatus, OutboxMessage
from .operator import service_name
from .timeutil import get_tz, now_utc

log = logging.getLogger(__name__)


class Kind:
    CONFIRMATION = "confirmation"
    RESCHEDULE = "reschedule"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"
    MANAGE_LINK = "manage_link"


class Status:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # A reminder whose booking was cancelled or moved before it could be sent.
    SKIPPED = "skipped"


SUBJECTS = {
    "ru": {
        Kind.CONFIRMATION: "Вы записаны на приём {when} — код {code}",
        Kind.RESCHEDULE: "Приём перенесён на {when} — код {code}",
        Kind.CANCELLATION: "Приём {when} отменён — код {code}",
        Kind.REMINDER: "Напоминание: приём {when} — код {code}",
        Kind.MANAGE_LINK: "Новая ссылка для записи {code}",
    },
    "en": {
        Kind.CONFIRMATION: "You are booked for {when} — code {code}",
        Kind.RESCHEDULE: "Your appointment is moved to {when} — code {code}",
        Kind.CANCELLATION: "Appointment on {when} cancelled — code {code}",
        Kind.REMINDER: "Reminder: appointment on {when} — code {code}",
        Kind.MANAGE_LINK: "A new link for booking {code}",
    },
}

# Invites travel as an alternative part (for calendars reading the message) and as a file.
INVITE_FILENAMES = {"REQUEST": "invite.ics", "CANCEL": "cancel.ics"}

RENEWAL_SALT = "priyom-manage-link-renewal"
RENEWAL_MAX_AGE = timedelta(days=3)
# At most one fresh-link message per booking in this period.
RENEWAL_REQUEST_PERIOD = timedelta(minutes=15)

_SECRET_IN_URL = re.compile(r"(token=|/link/)[A-Za-z0-9_.\-]{16,}")
_HEADER_MAX = 200
_SMTP_POLICY = policy.compat32.clone(linesep="\r\n")


# -- configuration ---------------------------------------------------------

def not_sending_reason(config=None):
    """Why messages stay in the outbox (no server, or sending suppressed), or "" when they are sent."""
    config = config or current_app.config
    if not config.get("MAIL_SERVER"):
        return "MAIL_SERVER is not set"
    if config.get("MAIL_SUPPRESS_SEND", False):
        return "MAIL_SUPPRESS_SEND is on"
    return ""


def reminder_offsets(value):
    """``MAIL_REMINDER_HOURS`` ("24", "24,2", 24 or [24, 2]) as distinct timedeltas, shortest first."""
    if isinstance(value, (int, float)):
        items = [value]
    elif isinstance(value, str):
        items = [part for part in value.replace(";", ",").split(",") if part.strip()]
    else:
        items = list(value or [])
    hours = {float(item) for item in items}
    if any(h <= 0 for h in hours):
        raise ValueError("MAIL_REMINDER_HOURS must be positive")
    return [timedelta(hours=h) for h in sorted(hours)]


def _hours_label(offset):
    return f"{offset.total_seconds() / 3600:g}"


# -- header safety -----------------------------------------------------------

def header_text(value, max_len=_HEADER_MAX):
    """``value`` fit for a header: one line, no control, format or separator characters."""
    value = unicodedata.normalize("NFC", str(value or ""))
    kept = [" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs") else ch
            for ch in value]
    return " ".join("".join(kept).split())[:max_len]


def _redact(text):
    return _SECRET_IN_URL.sub(r"\1[removed]", text or "")


def checked_address(value):
    """The ASCII form of a valid e-mail address; raises ValueError for anything else."""
    try:
        result = validate_email(value or "", check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return result.ascii_email


def sender_address(config=None):
    """``MAIL_DEFAULT_SENDER`` ("Name <addr>", an address, or a pair) as ``(name, address)``."""
    config = config or current_app.config
    sender = config.get("MAIL_DEFAULT_SENDER") or "priyom@localhost"
    name, addr = sender if isinstance(sender, (tuple, list)) else parseaddr(sender)
    return header_text(name), addr


_warned = set()


def _warn_once(message, *args):
    if message not in _warned:
        _warned.add(message)
        log.warning(message, *args)


# -- links -------------------------------------------------------------------

def public_url(endpoint, **values):
    """An absolute URL of the public site, also outside a request.

    ``PUBLIC_BASE_URL`` wins, so that links in e-mails never follow a Host header.
    """
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    if not base:
        if has_request_context():
            base = request.host_url
        else:
            base = "http://localhost:5000/"
            _warn_once("PUBLIC_BASE_URL is not set: links in e-mails point to %s", base)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def _renewal_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RENEWAL_SALT)


def _token_fingerprint(booking):
    # Changes when the manage token is renewed, which makes every renewal link single-use.
    return hashlib.sha256(f"renewal:{booking.manage_token_hash}".encode()).hexdigest()[:24]


def renewal_signature(booking):
    """The signed part of a renewal link for ``booking``'s current manage token."""
    return _renewal_serializer().dumps({"b": booking.id, "f": _token_fingerprint(booking)})


def renewal_is_valid(booking, signature):
    """Whether ``signature`` was made for ``booking``'s current token and has not expired."""
    try:
        data = _renewal_serializer().loads(signature, max_age=int(RENEWAL_MAX_AGE.total_seconds()))
    except BadSignature:
        return False
    return (isinstance(data, dict) and data.get("b") == booking.id
            and secrets.compare_digest(str(data.get("f", "")), _token_fingerprint(booking)))


def manage_url(booking, token):
    return public_url("public.manage", code=booking.code, token=token)


def link_request_url(booking):
    return public_url("mail.request_link", code=booking.code)


# -- rendering -----------------------------------------------------------------

@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    ics: str = ""
    ics_method: str = ""


def message_language(booking):
    return "en" if (booking.locale or "").lower().startswith("en") else "ru"


def render_message(kind, booking, now, **extra):
    """Subject, text, HTML and invite of one message, in the booking's language."""
    lang = message_language(booking)
    division = booking.division
    config = current_app.config
    tz = get_tz(config["BOOKING_TIMEZONE"])
    with force_locale(lang):
        context = {
            "lang": lang,
            "booking": booking,
            "name": booking.full_name,
            "code": booking.code,
            "division": division,
            "division_name": (division.name_en or division.name) if lang == "en" else division.name,
            "when_date": long_date(booking.start_utc),
            "when_time": f"{clock(booking.start_utc)}–{clock(booking.end_utc)}",
            "location": ical.division_location(division),
            "link_request_url": link_request_url(booking),
            "division_url": public_url("public.division", slug=division.slug),
            "hotline": config["HOTLINE_PHONE"],
            "service_name": service_name(config, lang),
            "operator_name": config.get("OPERATOR_NAME", ""),
            "privacy_url": public_url("legal.privacy"),
            **extra,
        }
        if "old_start" in extra:
            context["old_when"] = f"{long_date(extra['old_start'])}, {clock(extra['old_start'])}"
        when = f"{format_date(booking.start_utc, 'd MMMM')} {clock(booking.start_utc)}"
        subject = SUBJECTS[lang][kind].format(when=when, code=booking.code)
        text = _render(f"email/{lang}/{kind}.txt", context)
        html = _render(f"email/{lang}/{kind}.html", context)
    method = {Kind.CONFIRMATION: "REQUEST", Kind.RESCHEDULE: "REQUEST", Kind.CANCELLATION: "CANCEL"}.get(kind)
    ics = ""
    if method:
        organizer = division.email or sender_address(config)[1]
        ics = ical.booking_ics(booking, tz, now, method=method, manage_url=context["link_request_url"],
                               locale=lang, organizer_email=organizer).decode("utf-8")
    return Rendered(subject=header_text(subject, 300), text=text, html=html, ics=ics, ics_method=method or "")


def _render(name, context):
    # Straight from the environment: the site's context processors need a request, e-mails have none.
    return current_app.jinja_env.get_template(name).render(context)


# -- queuing -------------------------------------------------------------------

_INSERT_ONCE = {}


def _insert_once(values):
    """Insert an outbox row unless one with its ``dedup_key`` exists; True when inserted."""
    dialect = db.session.get_bind().dialect.name
    statement = _INSERT_ONCE.get(dialect)
    if statement is None:
        # Built once: the values travel as parameters, so the compiled form is reused.
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        outbox = OutboxMessage.__table__
        statement = _INSERT_ONCE[dialect] = (insert(outbox).on_conflict_do_nothing(index_elements=["dedup_key"])
                                             .returning(outbox.c.id))
    return db.session.execute(statement, values).first() is not None


def queue(kind, booking, now, dedup_key, **extra):
    """Write ``kind`` of message for ``booking`` to the outbox, once per ``dedup_key``.

    A booking made by phone without an e-mail address gets no messages.
    """
    if not booking.email:
        return False
    rendered = render_message(kind, booking, now, **extra)
    values = dict(dedup_key=dedup_key, booking_id=booking.id, kind=kind, subject=rendered.subject,
                  body_text=rendered.text, body_html=rendered.html, ics=rendered.ics,
                  ics_method=rendered.ics_method, status=Status.PENDING, attempts=0, next_attempt_at=now,
                  created_at=now, recipient=booking.email)
    try:
        values["recipient"] = checked_address(booking.email)
    except ValueError as exc:
        # Kept, as failed, so that staff see the booking has no working address.
        values.update(status=Status.FAILED, last_error=f"invalid address: {exc}"[:500])
    else:
        values["raw_message"] = compose(rendered, values["recipient"], booking.full_name, now)
    # A private link travels only in the finished bytes, dropped once sent; what staff read never has it.
    values.update(body_text=_redact(rendered.text), body_html=_redact(rendered.html))
    inserted = _insert_once(values)
    reason = not_sending_reason()
    if inserted and reason:
        log.warning("%s: the %s for booking %s stays in the outbox", reason, kind, booking.id)
    return inserted


def queue_confirmation(booking, token, now):
    """The confirmation with the invite and the private manage link (the token is known only now)."""
    return queue(Kind.CONFIRMATION, booking, now, f"confirmation:{booking.id}",
                 manage_url=manage_url(booking, token))


def queue_reschedule_notice(booking, old_start, now):
    """The notice of a move, with an updated invite (same UID, higher SEQUENCE)."""
    return queue(Kind.RESCHEDULE, booking, now, f"reschedule:{booking.id}:{booking.sequence}", old_start=old_start)


def queue_cancellation_notice(booking, now, reason=""):
    """The notice of a cancellation, worded for who cancelled, with a CANCEL invite."""
    return queue(Kind.CANCELLATION, booking, now, f"cancellation:{booking.id}:{booking.sequence}",
                 by_division=booking.cancelled_by != "citizen", reason=reason)


def queue_manage_link(booking, now):
    """A message with a renewal link, at most once per booking and period."""
    period = int(now.timestamp() // RENEWAL_REQUEST_PERIOD.total_seconds())
    url = public_url("mail.renew_link", code=booking.code, signature=renewal_signature(booking))
    return queue(Kind.MANAGE_LINK, booking, now, f"manage_link:{booking.id}:{period}", renewal_url=url,
                 renewal_days=RENEWAL_MAX_AGE.days)


def _start_stamp(start_utc):
    return f"{start_utc:%Y%m%dT%H%M%SZ}"


def reminder_key(booking, offset):
    return f"reminder:{booking.id}:{_start_stamp(booking.start_utc)}:{_hours_label(offset)}h"


def _reminder_is_for(dedup_key, start_utc):
    """Whether a reminder's key names ``start_utc`` (the booking may have moved since)."""
    return dedup_key.split(":")[2] == _start_stamp(start_utc.astimezone(timezone.utc))


def queue_due_reminders(now, offsets=None):
    """Queue the reminders due at ``now``; returns how many were added.

    For each active booking still ahead, only the latest reminder instant
    that has passed counts (a late run sends one reminder, not several), and
    none when the booking was made or moved after that instant.
    """
    offsets = offsets or reminder_offsets(current_app.config["MAIL_REMINDER_HOURS"])
    candidates = db.session.scalars(
        sa.select(Booking).where(Booking.status == BookingStatus.BOOKED, Booking.start_utc > now,
                                 Booking.start_utc <= now + offsets[-1], Booking.email != "")
        .order_by(Booking.start_utc, Booking.id)).all()
    if not candidates:
        return 0
    ids = [b.id for b in candidates]
    moved_at = dict(db.session.execute(
        sa.select(AuditEntry.booking_id, sa.func.max(AuditEntry.at))
        .where(AuditEntry.booking_id.in_(ids), AuditEntry.action == "rescheduled")
        .group_by(AuditEntry.booking_id)).all())
    due = {}
    for booking in candidates:
        passed = [offset for offset in offsets if booking.start_utc - offset <= now]
        if not passed:
            continue
        offset = passed[0]
        made_at = max(booking.created_at, moved_at.get(booking.id) or booking.created_at)
        if made_at <= booking.start_utc - offset:
            due[reminder_key(booking, offset)] = booking
    if not due:
        return 0
    queued = set(db.session.scalars(sa.select(OutboxMessage.dedup_key)
                                    .where(OutboxMessage.dedup_key.in_(list(due)))))
    added = 0
    for key, booking in due.items():
        if key not in queued:
            added += queue(Kind.REMINDER, booking, now, key)
    return added


# -- building and sending --------------------------------------------------------

@dataclass
class Claimed:
    """A claimed outbox row, detached from the session so no transaction stays open while sending."""

    id: int
    kind: str
    booking_id: int
    dedup_key: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    ics: str
    ics_method: str
    attempts: int
    created_at: object
    raw_message: bytes


def _header(name, text):
    text = header_text(text, 300)
    return Header(text, "us-ascii" if text.isascii() else "utf-8", header_name=name)


def _address_header(name, display_name, addr_spec):
    display_name = header_text(display_name)
    if not display_name or display_name.isascii():
        return formataddr((display_name, addr_spec))
    # Several encoded words rather than one: RFC 2047 limits each to 75 characters.
    header = Header(display_name, "utf-8", header_name=name)
    header.append(f"<{addr_spec}>", "us-ascii")
    return header


def _text_part(text, subtype, **params):
    # Base64 in canonical CRLF form: survives relays without 8BITMIME and keeps .ics line ends.
    charset = Charset("utf-8")
    charset.body_encoding = BASE64
    part = MIMEText(text.replace("\r\n", "\n").replace("\n", "\r\n"), subtype, charset)
    for name, value in params.items():
        part.set_param(name, value)
    del part["MIME-Version"]
    return part


def build_email(message, sender, name="", date=None, message_id=None):
    """The MIME message for an outbox row: text, HTML, and the invite twice when there is one.

    Built the classic way (``email.mime`` and ``Header``), as Flask-Mail does:
    the newer ``EmailMessage`` API folds Cyrillic headers ten times slower.
    ``message`` has the outbox row's ``subject``, ``body_text``, ``body_html``,
    ``ics``, ``ics_method`` and ``recipient``; without ``message_id`` it also
    needs the row's ``id`` and ``created_at``.
    """
    body = MIMEMultipart("alternative")
    body.attach(_text_part(message.body_text, "plain"))
    if message.body_html:
        body.attach(_text_part(message.body_html, "html"))
    root = body
    if message.ics:
        body.attach(_text_part(message.ics, "calendar", method=message.ics_method))
        attachment = MIMEApplication(message.ics.encode("utf-8"), "ics")
        attachment.add_header("Content-Disposition", "attachment",
                              filename=INVITE_FILENAMES.get(message.ics_method, "invite.ics"))
        del attachment["MIME-Version"]
        root = MIMEMultipart("mixed")
        root.attach(body)
        root.attach(attachment)
        del body["MIME-Version"]
    sender_name, sender_addr = sender
    root["Subject"] = _header("Subject", message.subject)
    root["From"] = _address_header("From", sender_name, sender_addr)
    root["To"] = _address_header("To", name, checked_address(message.recipient))
    root["Date"] = formatdate(date.timestamp() if date else None, usegmt=True)
    domain = sender_addr.rpartition("@")[2] or "localhost"
    # Stable across retries, so that a receiving system can recognise a repeated message.
    root["Message-ID"] = message_id or f"<priyom.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"
    root["Auto-Submitted"] = "auto-generated"
    return root


@dataclass
class _Content:
    subject: str
    body_text: str
    body_html: str
    ics: str
    ics_method: str
    recipient: str


def compose(rendered, recipient, name, now):
    """The finished bytes of a message about to be queued (``rendered`` by :func:`render_message`).

    Written once, when the message is complete: its ``Date`` is that moment
    (RFC 5322, 3.6.1), and every attempt, retry or resend after a crash sends
    these very bytes with the same ``Message-ID``.
    """
    sender = sender_address()
    domain = sender[1].rpartition("@")[2] or "localhost"
    content = _Content(rendered.subject, rendered.text, rendered.html, rendered.ics, rendered.ics_method, recipient)
    email = build_email(content, sender, name=name, date=now,
                        message_id=f"<priyom.{secrets.token_hex(12)}@{domain}>")
    return email_bytes(email)


def email_bytes(email):
    return email.as_bytes(policy=_SMTP_POLICY)


def open_smtp(config=None):
    """An SMTP connection as configured by ``MAIL_*``, with a timeout on every operation."""
    config = config or current_app.config
    host, port, timeout = config["MAIL_SERVER"], config.get("MAIL_PORT") or 25, config.get("MAIL_TIMEOUT", 30)
    # smtplib checks no certificate unless handed a context that does. Made only for TLS:
    # loading the system's CA certificates takes tens of milliseconds, on every connection.
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        _close_quietly(smtp)
        raise
    return smtp


def _close_quietly(smtp):
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


@dataclass
class DeliveryReport:
    """What one or more delivery batches did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    claimed: int = 0
    connections: int = 0
    # Batches cut short because the server could not be reached or stopped accepting mail.
    outages: int = 0

    def add(self, other):
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self):
        return (f"sent {self.sent}, to retry {self.retried}, failed {self.failed}, skipped {self.skipped} "
                f"over {self.connections} connection(s)")


def retry_delay(attempts, config=None):
    """The back-off after the ``attempts``-th failed attempt: base × 2^(attempts−1), capped."""
    config = config or current_app.config
    base = config["MAIL_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), config["MAIL_RETRY_MAX_SECONDS"]))


def _worker_id():
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class _Worker:
    """Who holds a batch's claims, and the connection on which it records each outcome."""

    id: str
    connection: object = None


def _recover_stale_claims(clock_now):
    """Put back rows claimed by a worker that died; the interrupted attempt counts."""
    config = current_app.config
    outbox = OutboxMessage.__table__
    limit = clock_now - timedelta(seconds=config["MAIL_CLAIM_TIMEOUT_SECONDS"])
    with write_intent():
        result = db.session.execute(
            outbox.update()
            .where(outbox.c.status == Status.SENDING, outbox.c.claimed_at < limit)
            .values(status=sa.case((outbox.c.attempts + 1 >= config["MAIL_MAX_ATTEMPTS"], Status.FAILED),
                                   else_=Status.PENDING),
                    attempts=outbox.c.attempts + 1, claimed_by="", claimed_at=None,
                    last_error="delivery interrupted: the worker stopped before finishing"))
        db.session.commit()
    if result.rowcount:
        log.warning("recovered %d outbox message(s) from a stopped delivery worker", result.rowcount)


# What a message is built from when it has no finished bytes (queued before they were kept).
_SOURCE_COLUMNS = ("body_text", "body_html", "ics")


def _claimed_column(outbox, name):
    column = outbox.c[name]
    if name in _SOURCE_COLUMNS:
        # Read only where it is needed: a finished message is sent as it is.
        return sa.case((outbox.c.raw_message.is_(None), column), else_=sa.literal("")).label(name)
    return column


def _claim(now, batch_size, worker, clock_now):
    """Mark up to ``batch_size`` due rows as being sent by ``worker`` (an id); returns them."""
    outbox = OutboxMessage.__table__
    with write_intent():
        ids = db.session.scalars(
            sa.select(outbox.c.id)
            .where(outbox.c.status == Status.PENDING, outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(batch_size)
            .with_for_update(skip_locked=True)).all()
        rows = []
        if ids:
            db.session.execute(
                outbox.update().where(outbox.c.id.in_(ids), outbox.c.status == Status.PENDING)
                .values(status=Status.SENDING, claimed_by=worker, claimed_at=clock_now))
            rows = db.session.execute(
                sa.select(*(_claimed_column(outbox, field.name) for field in fields(Claimed)))
                .where(outbox.c.claimed_by == worker, outbox.c.status == Status.SENDING)
                .order_by(outbox.c.next_attempt_at, outbox.c.id)).all()
        db.session.commit()
    return [Claimed(*row) for row in rows]  # selected in the order of the fields


# Built once; the SET clause comes from each call's parameters.
_FINISH = (OutboxMessage.__table__.update()
           .where(OutboxMessage.__table__.c.id == sa.bindparam("claimed_id"),
                  OutboxMessage.__table__.c.claimed_by == sa.bindparam("claim_owner"),
                  OutboxMessage.__table__.c.status == Status.SENDING))


def _finish(message, worker, **values):
    """Record the outcome of one claimed row, only if the claim is still ours.

    One statement on the worker's autocommit connection (``outcome_connection``),
    committed at once, so that a crash resends at most the message in flight.
    """
    with worker.connection.begin():
        result = worker.connection.execute(_FINISH, {"claimed_id": message.id, "claim_owner": worker.id,
                                                        "claimed_by": "", "claimed_at": None, **values})
    if result.rowcount != 1:
        log.error("outbox message %s was taken from this worker before it finished", message.id)


def _mark_sent(message, worker, sent_at):
    values = dict(status=Status.SENT, sent_at=sent_at, attempts=message.attempts + 1, last_error="")
    if message.raw_message:
        values.update(raw_message=None)
    else:
        # Built from the texts, which may still hold a private link.
        values.update(body_text=_redact(message.body_text), body_html=_redact(message.body_html))
    _finish(message, worker, **values)


def _mark_failure(message, worker, now, error, permanent=False):
    """Schedule the next attempt with back-off, or mark failed after the last one; returns the status."""
    attempts = message.attempts + 1
    if permanent or attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _finish(message, worker, status=Status.FAILED, attempts=attempts, last_error=error[:1000])
        log.error("outbox message %s failed for good after %d attempt(s): %s", message.id, attempts, error)
        return Status.FAILED
    _finish(message, worker, status=Status.PENDING, attempts=attempts, last_error=error[:1000],
            next_attempt_at=now + retry_delay(attempts))
    return Status.PENDING


def _release(message, worker):
    """Give an untried row back without counting an attempt."""
    _finish(message, worker, status=Status.PENDING)


def _error_text(exc):
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{exc.smtp_code} {detail}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {err.decode('utf-8', 'replace')}" for code, err in exc.recipients.values())
    return f"{exc.__class__.__name__}: {exc}"


def _is_permanent(exc):
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _err in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _booking_states(messages):
    ids = {m.booking_id for m in messages if m.booking_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Booking.id, Booking.full_name, Booking.status, Booking.start_utc)
                              .where(Booking.id.in_(ids))).all()
    db.session.commit()
    return {row.id: row for row in rows}


def _obsolete_reminder(message, state, now):
    if message.kind != Kind.REMINDER:
        return False
    return (state is None or state.status != BookingStatus.BOOKED or state.start_utc <= now
            or not _reminder_is_for(message.dedup_key, state.start_utc))


def deliver_due(now, batch_size=None, clock=now_utc):
    """Send one batch of due outbox messages over one SMTP connection.

    Manages its own transactions (call it with no work pending). ``now``
    decides what is due and when retries fall due; ``clock`` stamps claims,
    so that replaying an instant never takes messages from a live worker.
    """
    config = current_app.config
    report = DeliveryReport()
    db.session.commit()
    reason = not_sending_reason(config)
    if reason:
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status == Status.PENDING))
        db.session.commit()
        if waiting:
            log.warning("%s: %d message(s) stay in the outbox", reason, waiting)
        return report
    worker = _Worker(_worker_id())
    _recover_stale_claims(clock())
    messages = _claim(now, batch_size or config["MAIL_BATCH_SIZE"], worker.id, clock())
    report.claimed = len(messages)
    if not messages:
        return report
    # Outcomes are written on a connection of their own, held for the batch: one short
    # transaction per message without a trip through the session and the pool each time.
    with outcome_connection(db.engine) as worker.connection:
        _deliver_claimed(messages, worker, now, clock, report)
    return report


def _deliver_claimed(messages, worker, now, clock, report):
    config = current_app.config
    states = _booking_states(messages)
    sender = sender_address(config)
    # A live worker never holds a claim long enough to look stale to another one.
    deadline = time.monotonic() + config["MAIL_CLAIM_TIMEOUT_SECONDS"] / 2
    try:
        smtp = open_smtp(config)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail server unreachable (%s); %d message(s) will be retried", _error_text(exc), len(messages))
        _postpone(messages, worker, now, _error_text(exc), report)
        return
    report.connections = 1
    try:
        _send_batch(smtp, messages, states, sender, worker, now, clock, deadline, report)
    finally:
        _close_quietly(smtp)


def _count(report, status):
    if status == Status.FAILED:
        report.failed += 1
    else:
        report.retried += 1


def _postpone(messages, worker, now, error, report):
    """The server is away: every remaining message counts an attempt and waits its back-off."""
    report.outages += 1
    for message in messages:
        _count(report, _mark_failure(message, worker, now, error))


def _finished(message, sender, state):
    """The envelope recipient and the bytes to send for a claimed row."""
    if message.raw_message:
        # Checked when queued (or requeued); the bytes were built for this address.
        return message.recipient, message.raw_message
    # Queued before messages were kept finished, or written by hand: built now.
    email = build_email(message, sender, name=state.full_name if state is not None else "")
    return checked_address(message.recipient), email_bytes(email)


def _send_batch(smtp, messages, states, sender, worker, now, clock, deadline, report):
    for index, message in enumerate(messages):
        if time.monotonic() > deadline:
            for rest in messages[index:]:
                _release(rest, worker)
            return
        state = states.get(message.booking_id)
        if _obsolete_reminder(message, state, now):
            _finish(message, worker, status=Status.SKIPPED, last_error="booking cancelled, moved or past")
            report.skipped += 1
            continue
        try:
            recipient, data = _finished(message, sender, state)
        except ValueError as exc:
            _count(report, _mark_failure(message, worker, now, f"cannot build message: {exc}", permanent=True))
            continue
        try:
            smtp.sendmail(sender[1], [recipient], data)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            # About this message only: the others can still go over this connection.
            _count(report, _mark_failure(message, worker, now, _error_text(exc), permanent=_is_permanent(exc)))
            continue
        except (OSError, smtplib.SMTPException) as exc:
            # The connection is gone, or the server refuses our sender: the rest wait for the next run.
            error = _error_text(exc)
            log.warning("mail server stopped accepting mail (%s)", error)
            _postpone(messages[index:], worker, now, error, report)
            return
        _mark_sent(message, worker, clock())
        report.sent += 1


def deliver_all_due(now, batch_size=None, max_batches=1000, clock=now_utc):
    """Deliver batch after batch until nothing is due (or the server fails)."""
    total = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_due(now, batch_size, clock)
        total.add(report)
        if report.claimed == 0 or report.outages:
            break
    return total


# -- staff --------------------------------------------------------------------

def failed_messages(limit=200):
    """The messages that could not be delivered, newest first."""
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == Status.FAILED)
                              .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                              .limit(limit)).all()


def outbox_counts():
    """How many messages are in each status."""
    return dict(db.session.execute(sa.select(OutboxMessage.status, sa.func.count())
                                   .group_by(OutboxMessage.status)).all())


def requeue(message, now):
    """Give a failed message a fresh series of attempts; False unless it had failed."""
    if message.status != Status.FAILED:
        return False
    try:
        message.recipient = checked_address(message.recipient)
    except ValueError:
        return False
    message.status, message.attempts, message.next_attempt_at = Status.PENDING, 0, now
    message.claimed_by, message.claimed_at = "", None
    db.session.flush()
    return True
