"""Health checks for load balancers and orchestrators.

``/healthz`` answers while the process can serve requests at all (it never
touches the database); ``/readyz`` also needs the database to answer
``SELECT 1`` and gives 503 otherwise, so traffic goes to instances that can
book.
"""
import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _no_store(response, status=200):
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    return _no_store(jsonify({"status": "ok"}))


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable (%s)", exc.__class__.__name__)
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass  # the session is discarded at the end of the request anyway
        return _no_store(jsonify({"status": "unavailable", "database": "unreachable"}), 503)
    return _no_store(jsonify({"status": "ok", "database": "ok"}))
