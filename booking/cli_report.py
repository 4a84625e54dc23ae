"""``flask report``: the statistics of a period as CSV, XLSX or JSON, printed or written to a file.

A delivery adapter like :mod:`booking.cli`: it parses the options and calls
:mod:`booking.appeals.statistics` and :mod:`booking.appeals.report_files`.
"""
import sys

import click
from flask import current_app
from flask_babel import force_locale

from . import bookings
from .appeals.cards import AppealSettings
from .appeals.report_files import tables, to_csv, to_json, to_xlsx
from .appeals.statistics import PeriodError, report
from .core.timeutil import now_utc
from .web.formatting import TOPIC_LABELS


def register_report_command(app):
    @app.cli.command("report")
    @click.option("--from", "first_day", required=True, type=click.DateTime(["%Y-%m-%d"]),
                  help="First day, YYYY-MM-DD.")
    @click.option("--to", "last_day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, inclusive.")
    @click.option("--division", "slug", default=None, metavar="SLUG", help="One division (default: all).")
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
    @click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
                  help="Write to this file instead of printing (XLSX needs a file unless piped).")
    @click.option("--lang", type=click.Choice(["ru", "en"]), default="ru", show_default=True,
                  help="Language of the labels in CSV and XLSX.")
    def report_command(first_day, last_day, slug, fmt, output, lang):
        """The statistics of a period (bookings, visits, topics, outcomes, answers on time)."""
        division = None
        if slug:
            division = bookings.get_division(slug, include_inactive=True)
            if division is None:
                raise click.ClickException(f"No division with the slug {slug!r}.")
        try:
            figures = report(first_day.date(), last_day.date(), division, now_utc(),
                             AppealSettings.from_config(current_app.config))
        except PeriodError as exc:
            if str(exc) == "out_of_range":
                raise click.BadParameter("use dates from 2000 to 2099", param_hint="--from/--to") from None
            raise click.BadParameter("the period must not end before it starts nor last over two years",
                                     param_hint="--to") from None
        with force_locale(lang):
            if fmt == "json":
                data = (to_json(figures) + "\n").encode("utf-8")
            elif fmt == "csv":
                data = to_csv(tables(figures, TOPIC_LABELS, lang))
            else:
                period = f"{figures.first_day:%d.%m.%Y}–{figures.last_day:%d.%m.%Y}"
                data = to_xlsx(tables(figures, TOPIC_LABELS, lang), period)
        if output:
            with open(output, "wb") as handle:
                handle.write(data)
            click.echo(f"Report written to {output}.", err=True)
        elif fmt == "xlsx" and sys.stdout.isatty():
            raise click.UsageError("XLSX is binary: give --output FILE or redirect the output.")
        else:
            click.echo(data, nl=False)  # bytes: written to the binary stream as they are
