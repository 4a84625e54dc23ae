"""Calendar files and feeds: a booking's .ics, a head's private agenda feed, a division's reception hours.

Thin views: the feed contents and their validators come from
:mod:`booking.feed_service`. A conditional GET that matches the validators is
answered 304 before the feed is rendered.
"""
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.http import is_resource_modified

from .. import bookings
from ..accounts.auth import require_division, roles_required
from ..core.timeutil import now_utc
from ..extensions import db
from ..feeds import service as feed_service
from ..models import Role
from .helpers import current_policy, mailroom
from .redirects import local_path

bp = Blueprint("feeds", __name__)

CALENDAR_MIMETYPE = "text/calendar"
FEED_LANGUAGES = ("ru", "en")


@dataclass(frozen=True)
class FeedLinks:
    """What the agenda page shows about a division's private feed."""

    exists: bool
    https_url: str | None
    webcal_url: str | None
    rotate_url: str


def _settings():
    return feed_service.FeedSettings.from_config(current_app.config)


def webcal(url):
    """The ``webcal://`` form of an http(s) URL, which offers a calendar subscription."""
    return "webcal://" + url.split("://", 1)[1]


def agenda_feed_url(token):
    """The https URL of the agenda feed whose token is ``token``."""
    return mailroom().url("feeds.agenda", token=token)


def agenda_feed_links(division):
    """The private feed URLs of ``division`` (None when not created or not showable) and where to rotate."""
    exists, token = feed_service.feed_token_state(division, _settings())
    url = agenda_feed_url(token) if token else None
    return FeedLinks(exists=exists, https_url=url, webcal_url=webcal(url) if url else None,
                     rotate_url=url_for("feeds.rotate", slug=division.slug))


@bp.app_context_processor
def _agenda_feed_helper():
    return {"agenda_feed_links": agenda_feed_links}


def _feed_locale():
    lang = request.args.get("lang", "")
    return lang if lang in FEED_LANGUAGES else "ru"


def _calendar_response(body, filename, disposition="inline"):
    response = Response(body, mimetype=CALENDAR_MIMETYPE)  # Flask adds "; charset=utf-8"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _feed_response(feed, cache_control):
    """200 with the rendered feed, or 304 without rendering it when the client's copy is current."""
    validators = feed.validators
    if not is_resource_modified(request.environ, etag=validators.etag, last_modified=validators.last_modified):
        response = Response(status=304)
    else:
        response = _calendar_response(feed.render(), feed.filename)
    response.set_etag(validators.etag)
    if validators.last_modified is not None:
        response.last_modified = validators.last_modified
    response.headers["Cache-Control"] = cache_control
    return response


@bp.get("/bookings/<code>.ics")
def booking_ics(code):
    token = request.args.get("token", "")
    booking = bookings.find_booking(code, token)
    if booking is None:
        abort(404)
    # Calendars get shared: the file carries no manage token, only where to ask for a fresh link.
    manage_url = mailroom().url("mail.request_link", code=booking.code)
    body = feed_service.booking_ics(booking, now_utc(), current_policy(), _settings(), manage_url)
    response = _calendar_response(body, f"priyom-{booking.code}.ics", disposition="attachment")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/feeds/agenda/<token>.ics")
def agenda(token):
    feed = feed_service.agenda_feed(token, now_utc(), current_policy(), _settings(), _feed_locale())
    if feed is None:
        abort(404)
    response = _feed_response(feed, "private, no-cache")
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/divisions/<slug>/reception.ics")
def reception(slug):
    division = bookings.get_division(slug)
    if division is None:
        abort(404)
    booking_url = mailroom().url("public.division", slug=division.slug)
    feed = feed_service.reception_feed(division, now_utc(), current_policy(), _settings(), _feed_locale(),
                                       booking_url)
    return _feed_response(feed, "public, max-age=900")


@bp.post("/feeds/agenda/<slug>/rotate")
@roles_required(Role.HEAD, Role.ADMIN)
def rotate(slug):
    division = bookings.get_division(slug, include_inactive=True)
    if division is None:
        abort(404)
    require_division(division)
    existed = feed_service.feed_token_state(division, _settings())[0]
    feed_service.rotate_feed_token(division, now_utc(), _settings())
    db.session.commit()
    if existed:
        flash(_("A new calendar link is ready. The previous link no longer works."), "success")
    else:
        flash(_("The calendar link is ready."), "success")
    return redirect(local_path(request.form.get("next", ""), url_for("public.index")), code=303)
