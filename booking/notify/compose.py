"""Composing a message: the texts from templates in the booking's language, the invite, and the
finished MIME bytes that the outbox keeps and delivery sends as they are."""
import secrets
from dataclasses import dataclass
from email import policy
from email.charset import BASE64, Charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate

from flask_babel import force_locale, format_date, gettext
from flask_babel import lazy_gettext as _l

from ..core import ical
from ..core.names import lower_first, name_and_patronymic
from ..core.timeutil import get_tz
from ..i18n import booking_language, calendar_texts, clock, long_date, unbreakable
from ..operator import service_name
from .common import Kind, checked_address, header_text, sender_address
from .links import link_request_url

SUBJECTS = {
    Kind.CONFIRMATION: _l("You are booked for %(when)s — code %(code)s"),
    Kind.RESCHEDULE: _l("Your appointment is moved to %(when)s — code %(code)s"),
    Kind.CANCELLATION: _l("Appointment on %(when)s cancelled — code %(code)s"),
    Kind.REMINDER: _l("Reminder: appointment on %(when)s — code %(code)s"),
    Kind.MANAGE_LINK: _l("A new link for booking %(code)s"),
    Kind.ANSWER: _l("The answer to your appeal at the reception — code %(code)s"),
}

# Invites travel as an alternative part (for calendars reading the message) and as a file.
INVITE_FILENAMES = {"REQUEST": "invite.ics", "CANCEL": "cancel.ics"}
_SMTP_POLICY = policy.compat32.clone(linesep="\r\n")


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    ics: str = ""
    ics_method: str = ""


def render_message(mailroom, kind, booking, now, **extra):
    """Subject, text, HTML and invite of one message, in the booking's language."""
    lang = booking_language(booking)
    division = booking.division
    config = mailroom.config
    tz = get_tz(config["BOOKING_TIMEZONE"])
    with force_locale(lang):
        context = {
            "lang": lang,
            "booking": booking,
            "name": booking.full_name,
            "greeting": _greeting(booking.full_name, lang),
            "head": f"{lower_first(division.head_title)} {division.head_name}".strip(),
            "code": booking.code,
            "division": division,
            "division_name": (division.name_en or division.name) if lang == "en" else division.name,
            "when_date": long_date(booking.start_utc),
            "when_time": f"{clock(booking.start_utc)}–{clock(booking.end_utc)}",
            "location": ical.division_location(division),
            "link_request_url": link_request_url(mailroom, booking),
            "division_url": mailroom.url("public.division", slug=division.slug),
            "hotline": unbreakable(config["HOTLINE_PHONE"]),
            "service_name": service_name(config, lang),
            "operator_name": config.get("OPERATOR_NAME", ""),
            "privacy_url": mailroom.url("legal.privacy"),
            **extra,
        }
        if "old_start" in extra:
            context["old_when"] = f"{long_date(extra['old_start'])}, {clock(extra['old_start'])}"
        when = gettext("%(date)s at %(time)s", date=format_date(booking.start_utc, "d MMMM"),
                       time=clock(booking.start_utc))
        subject = SUBJECTS[kind] % {"when": when, "code": booking.code}
        text = mailroom.render(f"email/{kind}.txt", context)
        html = mailroom.render(f"email/{kind}.html", context)
    method = {Kind.CONFIRMATION: "REQUEST", Kind.RESCHEDULE: "REQUEST", Kind.CANCELLATION: "CANCEL"}.get(kind)
    ics = ""
    if method:
        organizer = division.email or sender_address(mailroom)[1]
        ics = ical.booking_ics(booking, tz, now, method=method, manage_url=context["link_request_url"],
                               texts=calendar_texts(lang), organizer_email=organizer).decode("utf-8")
    return Rendered(subject=header_text(subject, 300), text=text, html=html, ics=ics, ics_method=method or "")


def _greeting(full_name, lang):
    """«Здравствуйте, Мария Сергеевна!»; when the patronymic is not clear, the full name, or «Hello,» in English."""
    name = name_and_patronymic(full_name) or (full_name if lang == "ru" else "")
    return gettext("Dear %(name)s,", name=name) if name else gettext("Hello,")


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


def compose(mailroom, rendered, recipient, name, now):
    """The finished bytes of a message about to be queued (``rendered`` by :func:`render_message`).

    Written once, when the message is complete: its ``Date`` is that moment
    (RFC 5322, 3.6.1), and every attempt, retry or resend after a crash sends
    these very bytes with the same ``Message-ID``.
    """
    sender = sender_address(mailroom)
    domain = sender[1].rpartition("@")[2] or "localhost"
    content = _Content(rendered.subject, rendered.text, rendered.html, rendered.ics, rendered.ics_method, recipient)
    email = build_email(content, sender, name=name, date=now,
                        message_id=f"<priyom.{secrets.token_hex(12)}@{domain}>")
    return email_bytes(email)


def email_bytes(email):
    return email.as_bytes(policy=_SMTP_POLICY)

