"""Template filters and globals: local times in the reader's language, phones, topics."""
from datetime import date, datetime

from flask import current_app, request, session, url_for
from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from markupsafe import Markup

from ..appeals.labels import OUTCOME_LABELS, RESULT_LABELS
from ..core.timeutil import get_tz
from ..core.names import lower_first, upper_first
from ..core.validation import format_phone
from ..core.vocabulary import AuditAction
from ..i18n import (clock, day_heading, day_month, long_date, long_date_short, long_datetime, plain_date,
                    unbreakable, weekday_name)
from ..models import BookingStatus, Role, Topic

TOPIC_LABELS = {
    Topic.HEATING: _l("Heating"),
    Topic.HOT_WATER: _l("Hot water"),
    Topic.BILLING: _l("Bills and payments"),
    Topic.CONNECTION: _l("Connection to the networks"),
    Topic.OTHER: _l("Other"),
}

STATUS_LABELS = {
    BookingStatus.BOOKED: _l("Booked"),
    BookingStatus.CANCELLED: _l("Cancelled"),
    BookingStatus.ATTENDED: _l("Attended"),
    BookingStatus.NO_SHOW: _l("Did not come"),
}

# Each language's name in itself, as the switch shows it.
LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}

# Divisions are described in Russian only (their English name aside): pages in another
# language mark that text so screen readers pronounce it with a Russian voice.
DATA_LANGUAGE = "ru"

WEEKDAY_LABELS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                  _l("Saturday"), _l("Sunday")]


def iso_local(dt):
    """An instant as ISO 8601 in the booking time zone, e.g. ``2026-12-02T10:00:00+03:00``."""
    return dt.astimezone(get_tz(current_app.config["BOOKING_TIMEZONE"])).isoformat()


def division_name(division):
    """The division's English name on English pages when it has one, else its Russian name."""
    if str(get_locale()) == "en" and division.name_en:
        return division.name_en
    return division.name


def data_lang():
    """`` lang="ru"`` for a tag holding Russian-only text on a page in another language: ``<p{{ data_lang() }}>``."""
    return Markup(f' lang="{DATA_LANGUAGE}"') if str(get_locale()) != DATA_LANGUAGE else ""


def reception_hours(division):
    """«Monday, 10:00–13:00» for each weekly reception session of the division."""
    return [f"{WEEKDAY_LABELS[rule.weekday]}, {clock_of(rule.start_time)}–{clock_of(rule.end_time)}"
            for rule in division.rules]


def weekday_in_text(weekday):
    """The weekday (0 is Monday) as written inside a sentence: «понедельник», "Monday"."""
    return get_day_names("wide", locale=get_locale())[weekday]


def clock_of(value):
    return value.strftime("%H:%M")


def topic_label(topic):
    return TOPIC_LABELS.get(topic, topic)


def status_label(status):
    return STATUS_LABELS.get(status, status)


def init_app(app):
    app.jinja_env.filters.update(
        long_datetime=long_datetime, long_date=long_date, day_heading=day_heading, clock=clock,
        phone=format_phone, iso_local=iso_local, topic_label=topic_label, status_label=status_label,
        role_label=role_label, actor_label=actor_label, audit_action=audit_action, audit_detail=audit_detail,
        booking_origin=booking_origin, message_kind=message_kind, via_client=via_client,
        division_name=division_name, reception_hours=reception_hours, day_month=day_month,
        weekday_name=weekday_name, long_date_short=long_date_short,
    )

    # A position reads «директор филиала» mid-sentence, «Директор филиала» at the start of a line.
    app.jinja_env.filters.update(upper_first=upper_first, lower_first=lower_first, plain_date=plain_date,
                                 weekday_in_text=weekday_in_text)

    # A global, not a context variable, so that imported macros see it too.
    app.jinja_env.globals["data_lang"] = data_lang

    @app.context_processor
    def _globals():
        def switch_language_url(lang, next_url=None):
            """The switch's link: change language, then come back to this page (or ``next_url``)."""
            if not next_url:
                # A form's answer cannot be fetched again with GET: come back to its address only.
                next_url = request.full_path.rstrip("?") if request.method == "GET" else request.path
            return url_for("public.set_language", lang=lang, next=next_url)

        return {
            "current_locale": str(get_locale()),
            "language_names": LANGUAGE_NAMES,
            "switch_language_url": switch_language_url,
            # Kept on one line wherever a sentence puts it (its hyphens would otherwise break).
            "hotline_phone": Markup('<span class="phone-number">%s</span>') % unbreakable(app.config["HOTLINE_PHONE"]),
            "hotline_tel": "tel:" + "".join(c for c in app.config["HOTLINE_PHONE"] if c.isdigit() or c == "+"),
            "weekday_labels": WEEKDAY_LABELS,
            "chosen_language": session.get("lang"),
        }


ROLE_LABELS = {
    Role.HEAD: _l("Head of division"),
    Role.OPERATOR: _l("Hotline operator"),
    Role.ADMIN: _l("Administrator"),
    Role.DIRECTOR: _l("Director (read only)"),
}

ACTOR_LABELS = {
    "citizen": _l("Citizen"),
    "head": _l("Head of division"),
    "operator": _l("Hotline operator"),
    "admin": _l("Administrator"),
    "director": _l("Director (read only)"),
    "system": _l("System"),
}

AUDIT_ACTIONS = {
    # Not the status «Подтверждена»: the first line of the history says the booking was made.
    AuditAction.CREATED: lazy_pgettext("history", "Booked"),
    AuditAction.RESCHEDULED: _l("Moved"),
    AuditAction.CANCELLED: _l("Cancelled"),
    AuditAction.ATTENDED: _l("Marked attended"),
    AuditAction.NO_SHOW: _l("Marked as not come"),
    AuditAction.NOTE: _l("Staff note changed"),
    AuditAction.KEPT_AS_EXCEPTION: _l("Kept although the reception hours changed"),
    AuditAction.LINK_RENEWED: _l("Private link renewed"),
    AuditAction.DIVISION_CREATED: _l("Division created"),
    AuditAction.DIVISION_CHANGED: _l("Division details changed"),
    AuditAction.RULE_ADDED: _l("Reception hours added"),
    AuditAction.RULE_CHANGED: _l("Reception hours changed"),
    AuditAction.RULE_REMOVED: _l("Reception hours removed"),
    AuditAction.CLOSURE_ADDED: _l("Days without reception added"),
    AuditAction.CLOSURE_REMOVED: _l("Days without reception removed"),
    AuditAction.DATA_ERASED: _l("Personal data erased at the citizen's request"),
    AuditAction.CARD_SAVED: _l("Reception card saved"),
    AuditAction.MATTER_CLOSED: _l("Matter closed"),
    AuditAction.ANSWER_RECORDED: _l("Written answer recorded"),
}


MESSAGE_KINDS = {
    "confirmation": _l("Confirmation"),
    "reschedule": _l("Notice of a move"),
    "cancellation": _l("Notice of a cancellation"),
    "reminder": _l("Reminder"),
    "manage_link": _l("New link to the booking"),
    "account_locked": _l("Staff account locked"),
    "answer": _l("Decision on the appeal"),
    "answer_due": _l("Reminder of a due answer"),
}


CHANNEL_LABELS = {
    "web": _l("online"),
    "phone": _l("by phone"),
    "api": _l("through the API"),
}


def role_label(role):
    return ROLE_LABELS.get(role, role)


def actor_label(kind):
    return ACTOR_LABELS.get(kind, kind)


def message_kind(kind):
    return MESSAGE_KINDS.get(kind, kind)


def audit_action(action):
    return AUDIT_ACTIONS.get(action, action)


# What a reception card's audit entries record (appeals.cards), as «field: value» for people.
_CARD_FIELDS = {
    "outcome": (_l("Outcome"), lambda v: OUTCOME_LABELS.get(v, v)),
    "topic": (_l("Topic"), topic_label),
    "due": (_l("Due"), lambda v: plain_date(date.fromisoformat(v))),
    "responsible": (_l("Responsible for the written answer"), str),
    "referred_to": (_l("Organisation referred to"), str),
    "referred_on": (_l("Date the appeal was sent there"), lambda v: plain_date(date.fromisoformat(v))),
    "result": (_l("Result"), lambda v: RESULT_LABELS.get(v, v)),
    "sent_on": (_l("Date sent"), lambda v: plain_date(date.fromisoformat(v))),
    "number": (_l("Outgoing number"), str),
}
_CARD_ACTIONS = (AuditAction.CARD_SAVED, AuditAction.MATTER_CLOSED, AuditAction.ANSWER_RECORDED)


def _card_detail(detail):
    """``outcome=oral; topic=heating`` as «Outcome: Answered orally…; Topic: Heating» in the reader's language."""
    shown = []
    for part in filter(None, (p.strip() for p in detail.split(";"))):
        if part == "by post":
            shown.append(str(_l("Sent by post")))
            continue
        key, _, value = part.partition("=")
        label, show = _CARD_FIELDS.get(key, (None, None))
        if label is None or not value:
            shown.append(part)
            continue
        try:
            shown.append(f"{label}: {show(value)}")
        except ValueError:
            shown.append(f"{label}: {value}")
    return "; ".join(shown)


def audit_detail(entry):
    """An audit entry's detail for people: the channel of a booking, the old and new time of a move."""
    if entry.action == "created":
        if entry.detail == "api" and entry.booking is not None and entry.booking.api_client is not None:
            return via_client(entry.booking.api_client)
        return CHANNEL_LABELS.get(entry.detail, entry.detail)
    if entry.action == "rescheduled" and " -> " in entry.detail:
        try:
            old, new = (datetime.fromisoformat(part) for part in entry.detail.split(" -> ", 1))
        except ValueError:
            return entry.detail
        return f"{long_datetime(old)} → {long_datetime(new)}"
    if entry.action in _CARD_ACTIONS and entry.detail:
        return _card_detail(entry.detail)
    return entry.detail


def booking_origin(booking):
    """How the booking was made, e.g. «booked by phone by operator Anna Smirnova»."""
    if booking.channel == "phone":
        user = booking.created_by
        name = (user.name or user.email) if user is not None else "?"
        if user is not None and user.role == Role.OPERATOR:
            return _l("Booked by phone by operator %(name)s", name=name)
        return _l("Booked by phone by %(name)s", name=name)
    if booking.channel == "api":
        if booking.api_client is not None:
            return via_client(booking.api_client)
        return _l("Booked through the API")
    return _l("Booked online by the citizen")


def via_client(client):
    """How a booking made with an API key is named, e.g. «Через «Горячая линия»»."""
    return _l("Via “%(name)s”", name=client.name)
