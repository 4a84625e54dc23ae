"""Calendar files and feeds: a booking's .ics.

Thin views: the contents come from :mod:`booking.feed_service`.
"""
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, has_request_context, request, url_for

from . import feed_service, services
from .timeutil import now_utc

bp = Blueprint("feeds", __name__)

CALENDAR_MIMETYPE = "text/calendar"
# Where URLs point when neither PUBLIC_BASE_URL nor a request says (e.g. ``flask feed-url`` on a laptop).
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def external_url(endpoint, **values):
    """An absolute URL: under PUBLIC_BASE_URL when set, else the current request's, else the default."""
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    if not base and has_request_context():
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base or DEFAULT_BASE_URL)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def _calendar_response(body, filename, disposition="inline"):
    response = Response(body, mimetype=CALENDAR_MIMETYPE)  # Flask adds "; charset=utf-8"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@bp.get("/bookings/<code>.ics")
def booking_ics(code):
    token = request.args.get("token", "")
    booking = services.find_booking(code, token)
    if booking is None:
        abort(404)
    manage_url = external_url("public.manage", code=booking.code, token=token)
    body = feed_service.booking_ics(booking, now_utc(), services.current_policy(), manage_url)
    response = _calendar_response(body, f"priyom-{booking.code}.ics", disposition="attachment")
    response.headers["Cache-Control"] = "private, no-store"
    return response
