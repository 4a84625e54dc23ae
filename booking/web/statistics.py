"""The leadership's statistics: the page with its charts, and CSV and XLSX downloads.

Heads see their own divisions; administrators and directors see every
division and the total. The figures come from :mod:`booking.appeals.statistics`
and the tables from :mod:`booking.appeals.report_files`, shared with the
``report`` command.
"""
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import bookings
from ..accounts.auth import can_access_division, roles_required
from ..appeals import statistics as stats
from ..appeals.cards import AppealSettings
from ..appeals.report_files import tables, to_csv, to_xlsx
from ..core.timeutil import local_today, now_utc, parse_iso_date
from ..models import Role
from .formatting import TOPIC_LABELS

bp = Blueprint("statistics", __name__)

READERS = (Role.HEAD, Role.ADMIN, Role.DIRECTOR)


@bp.app_template_test("date_value")
def _is_date(value):
    return isinstance(value, date)


@bp.app_template_filter("figure")
def _figure(value):
    """A report's number as the reader writes it: «0,5» in Russian; a missing median as a dash."""
    if value is None:
        return "—"
    return format_decimal(value) if isinstance(value, float) else value
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeriodChoice:
    """The period asked for: a month (``month=2026-10``), a quarter (``quarter=2026-4``) or ``from``/``to``."""

    def __init__(self, args, today):
        self.kind = args.get("period", "month")
        self.error = None
        try:
            self.first_day, self.last_day = self._read(args, today)
            stats.check_period(self.first_day, self.last_day)
        except (ValueError, stats.PeriodError):
            self.error = _("Choose a period: a month, a quarter, or two dates with the first not after the last "
                           "(two years at most).")
            self.kind, self.first_day = "month", today.replace(day=1)
            self.last_day = _month_end(self.first_day)

    def _read(self, args, today):
        if self.kind == "custom":
            return parse_iso_date(args.get("from", "")), parse_iso_date(args.get("to", ""))
        if self.kind == "quarter":
            text = args.get("quarter") or f"{today.year}-{(today.month - 1) // 3 + 1}"
            year, number = (int(part) for part in text.split("-"))
            if not 1 <= number <= 4:
                raise ValueError(text)
            first = date(year, 3 * number - 2, 1)
            return first, _month_end(date(year, 3 * number, 1))
        self.kind = "month"
        text = args.get("month") or f"{today:%Y-%m}"
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
        return first, _month_end(first)


def _month_end(first):
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _divisions():
    if current_user.role == Role.HEAD:
        return list(current_user.divisions)
    return bookings.all_divisions()


def _division_choice(divisions):
    """The division asked for; None means all, which heads cannot choose (their first division instead)."""
    slug = request.args.get("division", "")
    if not slug:
        if current_user.role == Role.HEAD:
            if not divisions:
                abort(403)
            return divisions[0]
        return None
    division = bookings.get_division(slug, include_inactive=True)
    if division is None:
        abort(404)
    if not can_access_division(current_user, division):
        abort(403)
    return division


def _report():
    settings = AppealSettings.from_config(current_app.config)
    now = now_utc()
    period = PeriodChoice(request.args, local_today(now, settings.tz))
    divisions = _divisions()
    division = _division_choice(divisions)
    report = stats.report(period.first_day, period.last_day, division, now, settings)
    return report, period, divisions, division


def _filename(report, extension):
    where = report.division or "all"
    return f"statistics-{where}-{report.first_day.isoformat()}-{report.last_day.isoformat()}.{extension}"


def _lang():
    return str(get_locale() or "ru")


@bp.get("/staff/statistics")
@roles_required(*READERS)
def index():
    report, period, divisions, division = _report()
    by_key = {t.key: t for t in tables(report, TOPIC_LABELS, _lang())}
    charts = {"topic_mix": [(row[0], row[1:]) for row in by_key["topic_by_division"].rows],
              "weeks": [(f"{week:%d.%m}", held) for week, held in by_key["weeks"].rows]}
    return render_template("staff/statistics.html", report=report, period=period, divisions=divisions,
                           division=division, tables=by_key, charts=charts,
                           all_allowed=current_user.role != Role.HEAD), (422 if period.error else 200)


@bp.get("/staff/statistics.csv")
@roles_required(*READERS)
def csv():
    report, _period, _divisions_, _division = _report()
    return Response(to_csv(tables(report, TOPIC_LABELS, _lang())), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(report, "csv")}"'})


@bp.get("/staff/statistics.xlsx")
@roles_required(*READERS)
def xlsx():
    report, _period, _divisions_, _division = _report()
    period = f"{report.first_day:%d.%m.%Y}–{report.last_day:%d.%m.%Y}"
    return Response(to_xlsx(tables(report, TOPIC_LABELS, _lang()), period),
                    mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{_filename(report, "xlsx")}"'})
