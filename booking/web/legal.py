"""Who runs the service and what a citizen consents to: ``/consent``, ``/privacy``, and the names
of the service and its operator on every page (a context processor of this blueprint)."""
from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

from ..operator import Operator, service_name

bp = Blueprint("legal", __name__)


def _lang():
    return "en" if str(get_locale() or "ru") == "en" else "ru"


@bp.app_context_processor
def _service_and_operator():
    config = current_app.config
    return {"service_name": service_name(config, _lang()), "operator": Operator.from_config(config)}


def _legal_page(template):
    config = current_app.config
    return render_template(template, lang=_lang(), consent_version=config["CONSENT_VERSION"],
                           retention_days=config["RETENTION_DAYS"])


@bp.get("/consent")
def consent():
    return _legal_page("public/consent.html")


@bp.get("/privacy")
def privacy():
    return _legal_page("public/privacy.html")
