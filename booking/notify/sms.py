"""SMS to citizens through Kannel's HTTP ``sendsms`` interface, by way of the e-mail outbox.

When ``SMS_GATEWAY_URL`` is set, every message queued for a booking (a
confirmation, a move, a cancellation, a reminder) is also queued as a short
text for the booking's phone: always for bookings without e-mail, and for the
others when ``SMS_NOTIFY=all``. The text is one row of ``outbox_message``
with ``channel = "sms"``, written in the same transaction as the e-mail, so it
shares the outbox's guarantees: claimed by one worker at a time, retried with
the same back-off, never sent twice, failures listed for administrators.

Texts are short, in the booking's language, with the code and the time, and
fit one segment where they can (70 characters in Cyrillic, 160 in Latin
letters): the division's name is left out when it would not fit. They never
carry the manage token; a fresh manage link goes as a short, signed,
single-use renewal address (``/r/<code>/<key>``) that leads to the renewal
page of the e-mail path.

Kannel is asked for delivery reports (``dlr-url``) at ``/sms/dlr/<id>``,
signed with ``SECRET_KEY`` so that nobody else can mark a message; a report
records "delivered" or "failed" (a failure puts the message on the outbox
page again).
"""
import hashlib
import hmac
import logging
import re
import urllib.error
import urllib.request
from base64 import b32encode
from datetime import timedelta
from urllib.parse import urlencode


from ..core.timeutil import get_tz, now_utc
from ..database import outcome_connection
from ..extensions import db
from ..models import OutboxMessage
from . import delivery, links, outbox
from .common import RENEWAL_MAX_AGE, RENEWAL_REQUEST_PERIOD, Kind, Status
from ..i18n import booking_language as message_language
from .heartbeat import Heartbeat

log = logging.getLogger(__name__)

CHANNEL = "sms"
# Kannel's delivery report types (dlr-mask bits): delivered, not delivered, rejected by the operator.
DLR_DELIVERED, DLR_FAILED, DLR_REJECTED = 1, 2, 16
DLR_MASK = DLR_DELIVERED | DLR_FAILED | DLR_REJECTED

GSM_SEGMENT, UCS2_SEGMENT = 160, 70
# GSM 03.38 basic character set: a text of these characters only travels 160 to a segment.
_GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")

WEEKDAYS = {"ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"), "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Each kind's texts, longest first: the first that fits one segment is sent (else the last).
TEXTS = {
    "ru": {
        Kind.CONFIRMATION: ("Вы записаны на приём {when}, {division}. Код {code}",
                                   "Вы записаны на приём {when}. Код {code}"),
        Kind.RESCHEDULE: ("Приём перенесён на {when}, {division}. Код {code}",
                                 "Приём перенесён на {when}. Код {code}"),
        Kind.CANCELLATION: ("Приём {when} ({division}) отменён. Код {code}",
                                   "Приём {when} отменён. Код {code}"),
        Kind.REMINDER: ("Напоминаем: приём {when}, {division}. Код {code}",
                               "Напоминаем: приём {when}. Код {code}"),
        Kind.MANAGE_LINK: ("Запись {code}: {url}",),
    },
    "en": {
        Kind.CONFIRMATION: ("Booked: {when}, {division}. Code {code}", "Booked: {when}. Code {code}"),
        Kind.RESCHEDULE: ("Appointment moved to {when}, {division}. Code {code}",
                                 "Appointment moved to {when}. Code {code}"),
        Kind.CANCELLATION: ("Appointment {when} ({division}) cancelled. Code {code}",
                                   "Appointment {when} cancelled. Code {code}"),
        Kind.REMINDER: ("Reminder: appointment {when}, {division}. Code {code}",
                               "Reminder: appointment {when}. Code {code}"),
        Kind.MANAGE_LINK: ("Booking {code}: {url}",),
    },
}

SHORT_LINK_SALT = "priyom-sms-renewal"
_SHORT_LINK = re.compile(r"(/r/[A-Z0-9]+/)[a-z0-9]+")


# -- settings ------------------------------------------------------------------

def enabled(mailroom):
    """Whether SMS are sent at all (``SMS_GATEWAY_URL`` is set)."""
    return bool(mailroom.config.get("SMS_GATEWAY_URL"))


def wanted_for(mailroom, booking):
    """Whether ``booking``'s notices go by SMS too: always without e-mail, with one when ``SMS_NOTIFY=all``."""
    config = mailroom.config
    if not enabled(mailroom) or not booking.phone or booking.purged_at is not None:
        return False
    return not booking.email or (config.get("SMS_NOTIFY") or "no-email").strip().lower() == "all"


# -- texts ---------------------------------------------------------------------

def segments(text):
    """How many SMS segments ``text`` takes (GSM 7-bit when it can, else UCS-2)."""
    if set(text) <= _GSM_BASIC:
        return 1 if len(text) <= GSM_SEGMENT else -(-len(text) // 153)
    return 1 if len(text) <= UCS2_SEGMENT else -(-len(text) // 67)


def needs_unicode(text):
    return not set(text) <= _GSM_BASIC


def when_text(start_utc, lang, tz):
    """«пн 07.12 в 09:00» / «Mon 7 Dec 09:00», in the booking's time zone."""
    local = start_utc.astimezone(tz)
    weekday = WEEKDAYS[lang][local.weekday()]
    if lang == "en":
        return f"{weekday} {local.day} {MONTHS_EN[local.month - 1]} {local:%H:%M}"
    return f"{weekday} {local:%d.%m} в {local:%H:%M}"


def compose(kind, booking, lang, tz, start_utc=None, url=""):
    """The text of ``kind`` for ``booking``: the longest variant that fits one segment."""
    division = booking.division
    name = (division.name_en or division.name) if lang == "en" else division.name
    values = {"when": when_text(start_utc or booking.start_utc, lang, tz), "division": name,
              "code": booking.code, "url": url}
    variants = [variant.format(**values) for variant in TEXTS[lang][kind]]
    for text in variants:
        if segments(text) == 1:
            return text
    return variants[-1]


# -- short renewal links -------------------------------------------------------

def _base36(number):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _short_mac(mailroom, booking, hours):
    key = mailroom.config["SECRET_KEY"].encode("utf-8")
    message = f"{SHORT_LINK_SALT}:{booking.id}:{links._token_fingerprint(booking)}:{hours}".encode()
    return b32encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")[:10].lower()


def short_link_key(mailroom, booking, now):
    """The signed part of a short renewal address for ``booking``'s current token, made at ``now``."""
    hours = int(now.timestamp() // 3600)
    return _base36(hours) + _short_mac(mailroom, booking, hours)


def short_link_is_valid(mailroom, booking, key, now):
    """Whether ``key`` was made for ``booking``'s current token within the renewal period."""
    if len(key or "") < 11:
        return False
    try:
        hours = int(key[:-10], 36)
    except ValueError:
        return False
    age = now - now.fromtimestamp(hours * 3600, now.tzinfo)
    if age < timedelta(hours=-1) or age > RENEWAL_MAX_AGE:
        return False
    return hmac.compare_digest(key[-10:], _short_mac(mailroom, booking, hours))


def short_link(mailroom, booking, now):
    return mailroom.url("sms.short_link", code=booking.code.replace("-", ""),
                        key=short_link_key(mailroom, booking, now))


def _redact(text):
    return _SHORT_LINK.sub(r"\1[removed]", text or "")


# -- queuing -------------------------------------------------------------------

def queue(mailroom, kind, booking, now, dedup_key, **extra):
    """Write ``kind`` as an SMS for ``booking``'s phone to the outbox, once per ``dedup_key``; True if added."""
    config = mailroom.config
    lang = message_language(booking)
    text = compose(kind, booking, lang, get_tz(config["BOOKING_TIMEZONE"]), url=extra.get("url", ""))
    values = dict(dedup_key=f"{dedup_key}:sms", booking_id=booking.id, kind=kind, channel=CHANNEL, subject="",
                  body_text=text, body_html="", ics="", ics_method="", status=Status.PENDING, attempts=0,
                  next_attempt_at=now, created_at=now, recipient=booking.phone)
    return outbox._insert_once(values)


def queue_for(mailroom, kind, booking, now, dedup_key, **extra):
    """The hook of the e-mail outbox: the same notice by SMS when the booking gets SMS (kinds with a text)."""
    if kind == Kind.MANAGE_LINK or kind not in TEXTS["ru"] or not wanted_for(mailroom, booking):
        return False
    return queue(mailroom, kind, booking, now, dedup_key, **extra)


def queue_manage_link(mailroom, booking, now):
    """A short renewal link by SMS, at most once per booking and renewal period."""
    period = int(now.timestamp() // RENEWAL_REQUEST_PERIOD.total_seconds())
    return queue(mailroom, Kind.MANAGE_LINK, booking, now, f"manage_link:{booking.id}:{period}",
                 url=short_link(mailroom, booking, now))


# -- delivery reports ------------------------------------------------------------

def report_signature(mailroom, message_id):
    key = mailroom.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, f"sms-dlr:{message_id}".encode(), hashlib.sha256).hexdigest()[:32]


def report_url(mailroom, message_id):
    """The ``dlr-url`` handed to Kannel; it fills in ``%d`` with the report type."""
    url = mailroom.url("sms.delivery_report", message_id=message_id, sig=report_signature(mailroom, message_id))
    return f"{url}&status=%d"


def record_report(mailroom, message_id, signature, status):
    """Record a delivery report; False when the signature is wrong or the message unknown."""
    if not hmac.compare_digest(signature or "", report_signature(mailroom, message_id)):
        return False
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.channel != CHANNEL:
        return False
    if status == DLR_DELIVERED:
        message.delivery_status = "delivered"
    elif status in (DLR_FAILED, DLR_REJECTED):
        message.delivery_status = "failed"
        if message.status == Status.SENT:
            message.status = Status.FAILED
            message.last_error = f"the operator could not deliver the SMS (report {status})"
    db.session.flush()
    return True


# -- sending -------------------------------------------------------------------

class GatewayDown(Exception):
    """Kannel cannot be reached or does not accept messages now: try the rest later."""


class Refused(Exception):
    """Kannel refused this one message."""


def send(mailroom, message):
    """Hand one claimed SMS to Kannel; returns its answer or raises :class:`GatewayDown` / :class:`Refused`."""
    config = mailroom.config
    params = {"username": config.get("SMS_USERNAME") or "", "password": config.get("SMS_PASSWORD") or "",
              "to": message.recipient, "text": message.body_text, "charset": "UTF-8",
              "dlr-mask": DLR_MASK, "dlr-url": report_url(mailroom, message.id)}
    if config.get("SMS_SENDER"):
        params["from"] = config["SMS_SENDER"]
    if needs_unicode(message.body_text):
        params["coding"] = 2
    gateway = config["SMS_GATEWAY_URL"]
    url = gateway + ("&" if "?" in gateway else "?") + urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=config.get("SMS_TIMEOUT", 10)) as response:
            return response.read(500).decode("utf-8", "replace").strip()
    except urllib.error.HTTPError as exc:
        answer = f"{exc.code} {exc.read(500).decode('utf-8', 'replace').strip()}"
        if 400 <= exc.code < 500 and exc.code not in (401, 403, 408, 429):
            raise Refused(answer) from None
        raise GatewayDown(answer) from None
    except (OSError, ValueError) as exc:
        raise GatewayDown(f"{exc.__class__.__name__}: {exc}") from None


def deliver_due(mailroom, now, batch_size=None, clock=now_utc, stop=None):
    """Send one batch of due SMS; returns a :class:`~booking.notify.delivery.DeliveryReport`.

    When ``stop`` is set, the text in flight is finished and the rest of the batch goes back at once.
    """
    config = mailroom.config
    report = delivery.DeliveryReport()
    db.session.commit()
    if not enabled(mailroom):
        return report
    worker = delivery._Worker(delivery._worker_id(), mailroom)
    delivery._recover_stale_claims(mailroom, clock())
    messages = delivery._claim(now, batch_size or config["MAIL_BATCH_SIZE"], worker.id, clock(), channel=CHANNEL)
    report.claimed = len(messages)
    if messages:
        with Heartbeat(db.engine, worker.id, config["MAIL_HEARTBEAT_SECONDS"], clock), \
                outcome_connection(db.engine) as worker.connection:
            _send_claimed(messages, worker, now, clock, report, stop)
    return report


def _send_claimed(messages, worker, now, clock, report, stop=None):
    states = delivery._booking_states(messages)
    report.connections = 1
    for index, message in enumerate(messages):
        if stop is not None and stop.is_set():
            for rest in messages[index:]:
                delivery._release(rest, worker)
            return
        if delivery._obsolete_reminder(message, states.get(message.booking_id), now):
            delivery._finish(message, worker, status=Status.SKIPPED, last_error="booking cancelled, moved or past")
            report.skipped += 1
            continue
        try:
            answer = send(worker.mailroom, message)
        except Refused as exc:
            delivery._count(report, delivery._mark_failure(message, worker, now, f"gateway refused: {exc}",
                                                       permanent=True))
            continue
        except GatewayDown as exc:
            log.warning("SMS gateway unavailable (%s); %d message(s) will be retried", exc, len(messages) - index)
            delivery._postpone(messages[index:], worker, now, f"SMS gateway unavailable: {exc}", report)
            return
        delivery._finish(message, worker, status=Status.SENT, sent_at=clock(), attempts=message.attempts + 1,
                       last_error="", body_text=_redact(message.body_text))
        log.info("SMS %s handed to the gateway: %s", message.id, answer[:100])
        report.sent += 1


def deliver_all_due(mailroom, now, batch_size=None, max_batches=1000, clock=now_utc, stop=None):
    """Send batch after batch of due SMS until nothing is due (or the gateway is down, or ``stop`` is set)."""
    total = delivery.DeliveryReport()
    for _ in range(max_batches):
        report = deliver_due(mailroom, now, batch_size, clock, stop)
        total.add(report)
        if report.claimed == 0 or report.outages or (stop is not None and stop.is_set()):
            break
    return total
