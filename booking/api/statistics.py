"""``GET /api/v1/statistics``: the leadership's figures for a period, as JSON.

Only for an API client whose key holds the ``statistics`` permission (see
:mod:`booking.accounts.api_clients`); any other request gets 401. The figures
are those of the staff page and the ``report`` command
(:mod:`booking.appeals.statistics`).
"""
from flask import current_app, jsonify, request
from flask_babel import gettext as _

from .. import bookings
from ..appeals import statistics as stats
from ..appeals.cards import AppealSettings
from ..core.timeutil import now_utc, parse_iso_date
from ..extensions import db
from .views import ApiError, bp, require_api_client


def _period_and_division():
    """``(first_day, last_day, division or None)`` from the query; ApiError 400 naming the bad fields."""
    fields, days = {}, {}
    for name in ("from", "to"):
        try:
            days[name] = parse_iso_date(request.args.get(name, ""))
        except ValueError:
            fields[name] = _("A date as YYYY-MM-DD is needed.")
    division = None
    slug = request.args.get("division")
    if slug:
        division = bookings.get_division(slug, include_inactive=True)
        if division is None:
            fields["division"] = _("No division with this slug.")
    if not fields:
        try:
            stats.check_period(days["from"], days["to"])
        except stats.PeriodError as exc:
            if str(exc) == "out_of_range":
                fields["from"] = fields["to"] = _("Dates from 2000 to 2099 only.")
            else:
                fields["to"] = _("The period must not end before it starts nor last more than two years.")
    if fields:
        raise ApiError(400, "invalid_request", _("Please correct the fields named."), fields)
    return days["from"], days["to"], division


@bp.get("/statistics")
def statistics():
    """The report's figures for ``from``…``to`` (ISO dates, inclusive) and an optional ``division`` slug."""
    require_api_client("statistics")
    first_day, last_day, division = _period_and_division()
    report = stats.report(first_day, last_day, division, now_utc(), AppealSettings.from_config(current_app.config))
    body = jsonify(report.as_json())
    db.session.commit()  # the client's last use
    return body
