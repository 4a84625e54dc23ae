"""JSON API for hotline software and other clients, under ``/api/v1``.

No cookies. Reading divisions and slots is open; creating a booking needs the
key of a known client (``X-API-Key: <key>`` or ``Authorization: Bearer <key>``,
see :mod:`booking.accounts.api_clients`), and the booking is recorded as made through that
client. A booking is then reached with its code and ``Authorization: Bearer
<manage_token>``, the citizen's own secret: which of the two a Bearer value is
follows from the route. Every failure is a JSON body with an ``error`` code and a
``message`` in the client's language (``Accept-Language``).
"""
import threading

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _

from .. import bookings
from ..accounts import api_clients
from ..core import validation
from ..core.timeutil import now_utc, parse_iso_date, parse_iso_datetime
from ..extensions import db
from ..security import limit_api_booking
from ..web.helpers import commit_or_refuse, current_policy, mailroom
from ..web.reasons import unbookable_message
from .openapi import openapi_document

bp = Blueprint("api", __name__)

REQUIRED = ("division", "start", "name", "email", "phone", "topic", "consent")
OPTIONAL = ("message", "account", "address", "locale")


class ApiError(Exception):
    """An error answered as JSON: ``status``, ``error`` code, message and failing fields."""

    def __init__(self, status, error, message, fields=None, **extra):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.fields, self.extra = fields or {}, extra

    def response(self):
        body = {"error": self.error, "message": self.message, **self.extra}
        if self.fields:
            body["fields"] = self.fields
        return jsonify(body), self.status


@bp.errorhandler(ApiError)
def _api_error(exc):
    response, status = exc.response()
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="priyom-api"'
    return response, status


def require_api_client(permission):
    """The known, active client whose key the request carries and who holds ``permission``; else 401."""
    client = api_clients.authenticate(api_clients.key_from_headers(request.headers), permission, now_utc())
    if client is None:
        raise ApiError(401, "unauthorized",
                       _("This needs the API key of a known client (X-API-Key or Authorization: Bearer)."))
    return client


def slot_json(slot, tz=None):
    tz = tz or _tz()
    return {"start": slot.start_dt.astimezone(tz).isoformat(), "end": slot.end_dt.astimezone(tz).isoformat(),
            "capacity": slot.capacity, "available": slot.available}


def booking_json(booking, token=None):
    body = {
        "code": booking.code,
        "division": booking.division.slug,
        "start": booking.start_utc.astimezone(_tz()).isoformat(),
        "end": booking.end_utc.astimezone(_tz()).isoformat(),
        "status": booking.status,
        "topic": booking.topic,
        "name": booking.full_name,
        "email": booking.email,
        "phone": booking.phone,
    }
    if token is not None:
        body["manage_token"] = token
    return body


def division_json(division):
    return {
        "slug": division.slug, "name": division.name, "head": division.head_name,
        "head_title": division.head_title, "address": division.address, "room": division.room,
        "description": division.description,
        "slots_url": url_for("api.division_slots", slug=division.slug),
    }


def _tz():
    return current_policy().tz


def _json_object():
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", _("Send the request body as application/json."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", _("The request body is not a JSON object."))
    return data


def _booking_error(exc):
    messages = {
        bookings.SlotTaken.code: _("This time was just taken. Please choose another one."),
        bookings.SlotNotBookable.code: unbookable_message(getattr(exc, "reason", None), current_policy()),
        bookings.LimitReached.code: _("You already have an appointment with this division."),
        bookings.NotChangeable.code: _("This appointment can no longer be changed."),
    }
    tz = _tz()
    slots = [slot_json(s, tz) for s in exc.alternatives]
    return ApiError(409, exc.code, messages.get(exc.code, str(exc)), alternatives=slots)


def _parse_booking_payload(data):
    """Validated, normalised booking fields, or ApiError(422) naming each failing field."""
    fields, clean = {}, {}
    for name in data:
        if name not in REQUIRED + OPTIONAL:
            fields[name] = _("Unknown field.")
    for name in REQUIRED:
        if name not in data:
            fields[name] = _("This field is required.")
    for name in ("division", "start", "name", "email", "phone", "topic") + OPTIONAL:
        if name in data and not isinstance(data[name], str):
            fields[name] = _("Must be a string.")
    if "consent" in data and data["consent"] is not True:
        fields["consent"] = _("Consent to the processing of personal data is required.")

    checks = {
        "name": validation.normalise_name,
        "email": validation.normalise_email,
        "phone": lambda v: validation.normalise_phone(v, current_app.config["PHONE_DEFAULT_REGION"]),
        "topic": validation.normalise_topic,
        "account": validation.normalise_account,
    }
    for name, check in checks.items():
        if name in data and name not in fields:
            try:
                clean[name] = check(data[name])
            except ValueError as exc:
                fields[name] = _(str(exc))
    if "start" in data and "start" not in fields:
        try:
            clean["start"] = parse_iso_datetime(data["start"], _tz())
        except ValueError:
            fields["start"] = _("Use ISO 8601, e.g. 2026-12-02T10:00:00+03:00.")
    if isinstance(data.get("message"), str) and len(data["message"]) > validation.MESSAGE_MAX:
        fields["message"] = _("Please keep it under %(max)d characters.", max=validation.MESSAGE_MAX)
    if isinstance(data.get("address"), str) and len(data["address"]) > 300:
        fields["address"] = _("Please keep it under %(max)d characters.", max=300)
    if isinstance(data.get("locale"), str) and data["locale"] not in ("ru", "en"):
        fields["locale"] = _("Use ru or en.")
    if fields:
        raise ApiError(422, "validation_error", _("Some fields need correcting."), fields=fields)
    clean["message"] = validation.clean_text(data.get("message", ""), validation.MESSAGE_MAX, multiline=True)
    clean["address"] = validation.clean_text(data.get("address", ""), 300)
    clean.setdefault("account", "")
    clean["locale"] = data.get("locale", "ru")
    clean["division"] = data["division"]
    return clean


def _bearer_booking(code):
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    booking = bookings.find_booking(code, token.strip()) if scheme.lower() == "bearer" else None
    if booking is None:
        raise ApiError(404, "not_found", _("No such booking."))
    return booking


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/divisions")
def divisions():
    return jsonify([division_json(d) for d in bookings.active_divisions()])


@bp.get("/divisions/<slug>/slots")
def division_slots(slug):
    fields, days = {}, {}
    for name in ("from", "to"):
        if request.args.get(name):
            try:
                days[name] = parse_iso_date(request.args[name])
            except ValueError:
                fields[name] = _("Use a date like 2026-12-02.")
    if not fields and "from" in days and "to" in days and days["to"] < days["from"]:
        fields["to"] = _("Must not be before 'from'.")
    if fields:
        if bookings.get_division(slug) is None:
            raise ApiError(404, "not_found", _("No such division."))
        raise ApiError(422, "validation_error", _("Some fields need correcting."), fields=fields)
    policy = current_policy()
    available = bookings.division_availability(slug, now_utc(), policy, days.get("from"), days.get("to"))
    if available is None:
        raise ApiError(404, "not_found", _("No such division."))
    return current_app.response_class(_listing_body(available, policy.tz), mimetype=current_app.json.mimetype)


_LISTING_BODIES_MAX = 128
_LISTING_BODIES_LOCK = threading.Lock()


def _listing_body(available, tz):
    """The JSON of ``available``'s free slots, rendered once per distinct availability.

    The listing is the most requested page of the API and mostly unchanged
    between two bookings; serialising several hundred slots costs many times
    the one counting query that tells whether anything changed.
    """
    cache = current_app.extensions.setdefault("priyom.listing_bodies", {})
    body = cache.get(available.key)
    if body is None:
        body = current_app.json.response([slot_json(v, tz) for v in available.views()]).get_data()
        with _LISTING_BODIES_LOCK:  # threaded workers share the cache
            if len(cache) >= _LISTING_BODIES_MAX:
                cache.pop(next(iter(cache)))
            cache[available.key] = body
    return body


@bp.post("/bookings")
@limit_api_booking
def create_booking():
    client = require_api_client("bookings")
    clean = _parse_booking_payload(_json_object())
    division = bookings.get_division(clean["division"])
    if division is None:
        raise ApiError(404, "not_found", _("No such division."))
    details = bookings.CitizenDetails(
        full_name=clean["name"], phone=clean["phone"], email=clean["email"], topic=clean["topic"],
        message=clean["message"], account=clean["account"], address=clean["address"], locale=clean["locale"])
    try:
        booking, token = bookings.create_booking(division, clean["start"], details, now_utc(), current_policy(),
                                                 mailroom(), actor=bookings.Actor(channel="api"))
        booking.api_client = client
        # Rendered before the commit, which expires every attribute: reading them back costs two queries.
        response = jsonify(booking_json(booking, token))
        response.headers["Location"] = url_for("api.get_booking", code=booking.code)
        db.session.commit()
    except bookings.BookingError as exc:
        db.session.rollback()
        raise _booking_error(exc) from None
    response.status_code = 201
    return response


@bp.get("/bookings/<code>")
def get_booking(code):
    return jsonify(booking_json(_bearer_booking(code)))


@bp.post("/bookings/<code>/cancel")
def cancel_booking(code):
    booking = _bearer_booking(code)
    _done, refusal = commit_or_refuse(lambda: bookings.cancel_booking(booking, now_utc(), mailroom(),
                                                                      actor=bookings.Actor(channel="api")))
    if refusal is not None:
        raise _booking_error(refusal)
    return jsonify(booking_json(booking))


@bp.post("/bookings/<code>/reschedule")
def reschedule_booking(code):
    booking = _bearer_booking(code)
    data = _json_object()
    fields = {name: _("Unknown field.") for name in data if name != "start"}
    if not isinstance(data.get("start"), str):
        fields["start"] = _("This field is required.") if "start" not in data else _("Must be a string.")
    else:
        try:
            start_dt = parse_iso_datetime(data["start"], _tz())
        except ValueError:
            fields["start"] = _("Use ISO 8601, e.g. 2026-12-02T10:00:00+03:00.")
    if fields:
        raise ApiError(422, "validation_error", _("Some fields need correcting."), fields=fields)
    _done, refusal = commit_or_refuse(lambda: bookings.reschedule_booking(
        booking, start_dt, now_utc(), current_policy(), mailroom(), actor=bookings.Actor(channel="api")))
    if refusal is not None:
        raise _booking_error(refusal)
    return jsonify(booking_json(booking))

