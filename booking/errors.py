"""Error pages for the site and JSON errors for ``/api``: never a stack trace.

A database that cannot be reached, is locked longer than the configured
timeout or has no free connection gives 503 with ``Retry-After``; the
request's transaction is rolled back, so nothing half-written remains.
"""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError, ServiceUnavailable

from .extensions import db

log = logging.getLogger(__name__)


def _wants_json():
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def _messages():
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("Nothing was found at this address."),
        405: _("This method is not allowed here."),
        413: _("The request is too large."),
        415: _("Send the request body as application/json."),
        429: _("Too many requests. Please wait a minute and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The service is temporarily unavailable. Please try again in a few minutes."),
    }


def render_error(exc):
    status = exc.code or 500
    message = _messages().get(status, exc.description)
    if _wants_json():
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 413: "payload_too_large", 415: "unsupported_media_type", 429: "too_many_requests",
                 500: "internal_error", 503: "unavailable"}
        response = jsonify({"error": codes.get(status, "error"), "message": message})
    elif isinstance(exc, SecurityError):
        # A request for a host not in TRUSTED_HOSTS: no URL can be built, so no page with links.
        response = _bare_page(status, message)
    else:
        try:
            response = render_template("error.html", status=status, message=message)
        except Exception:  # the page itself may need what just failed (e.g. the database)
            log.exception("error page could not be rendered")
            response = _bare_page(status, message)
    return response, status, _error_headers(exc, status)


def _bare_page(status, message):
    return f"<!doctype html><meta charset=utf-8><title>{status}</title><h1>{escape(message)}</h1>"


def _error_headers(exc, status):
    headers = {}
    if status == 503:
        headers["Retry-After"] = "30"
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return headers


def _rollback_quietly():
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the session is discarded at teardown anyway
        log.warning("rollback failed after an error")


def init_app(app):
    @app.errorhandler(HTTPException)
    def _http(exc):
        return render_error(exc)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(exc):
        original = getattr(exc, "orig", None)
        log.error("database unavailable: %s (%s)", exc.__class__.__name__,
                  original.__class__.__name__ if original is not None else "-")
        _rollback_quietly()
        return render_error(ServiceUnavailable())

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):
            return render_error(exc)
        log.exception("unhandled error")
        _rollback_quietly()
        return render_error(InternalServerError())
