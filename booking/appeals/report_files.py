"""The statistics report as tables, and those tables as CSV, XLSX (one sheet per table) or JSON.

The same tables feed the page, the downloads and the ``report`` command, so
the figures agree everywhere. Labels are in the language in force when
:func:`tables` is called.
"""
import io
import json
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from ..core.exports import csv_bytes
from ..models import Topic
from .labels import (ANSWER_LABELS, CHANNEL_LABELS, MEDIAN_LABELS, OUTCOME_LABELS, PLACE_LABELS, RESULT_LABELS,
                     VISIT_LABELS)
from .statistics import ANSWER_STATES, CHANNELS, VISIT_STATES


@dataclass
class Table:
    """One table of the report: a stable ``key``, a title, a header and typed rows."""

    key: str
    title: str
    header: list
    rows: list


def _pairs(key, title, labels, values, order):
    return Table(key, title, [_("Figure"), _("Number")], [[str(labels[k]), values.get(k, 0)] for k in order])


def tables(report, topic_labels, lang="ru"):
    """The report's tables, labelled in the current language (``topic_labels``: topic -> its name)."""
    summary = [[str(CHANNEL_LABELS[c]), report.bookings_by_channel.get(c, 0)] for c in (*CHANNELS, "total")]
    summary += [[str(VISIT_LABELS[v]), report.visits.get(v, 0)] for v in VISIT_STATES]
    summary += [[str(PLACE_LABELS[p]), report.places.get(p, 0)] for p in ("offered", "unused")]
    summary += [[str(MEDIAN_LABELS[m]), report.median_days.get(m)] for m in ("booking_to_visit", "visit_to_answer")]
    topics = list(tuple(Topic))
    by_division = Table("topic_by_division", _("Topics by division"),
                        [_("Division")] + [str(topic_labels[t]) for t in topics],
                        [[row["name_en"] if lang == "en" else row["name"]] + [row.get(t, 0) for t in topics]
                         for row in report.topic_by_division])
    return [
        Table("summary", _("Bookings and visits"), [_("Figure"), _("Number")], summary),
        _pairs("topics", _("Bookings by topic"), topic_labels, report.by_topic, topics),
        by_division,
        Table("weeks", _("Visits held per week"), [_("Week from"), _("Visits held")],
              [[row["week"], row["held"]] for row in report.visits_by_week]),
        _pairs("outcomes", _("Outcomes of receptions"), OUTCOME_LABELS, report.outcomes, list(OUTCOME_LABELS)),
        _pairs("results", _("Results of closed matters"), RESULT_LABELS, report.results, list(RESULT_LABELS)),
        _pairs("answers", _("Written answers"), ANSWER_LABELS, report.written_answers, ANSWER_STATES),
    ]


def to_csv(report_tables):
    """All tables in one CSV file: each under its title, separated by an empty line."""
    rows = []
    for index, table in enumerate(report_tables):
        if index:
            rows.append([])
        rows += [[table.title], table.header]
        rows += [[cell.isoformat() if isinstance(cell, date) else cell for cell in row] for row in table.rows]
    header, *rest = rows
    return csv_bytes(header, rest)


def _sheet_name(title, taken):
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"
    while name in taken:
        name = name[:29] + f"{len(taken):02d}"
    taken.add(name)
    return name


def to_xlsx(report_tables, title=""):
    """An XLSX workbook with one sheet per table; numbers and dates stay numbers and dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    taken = set()
    for table in report_tables:
        sheet = book.create_sheet(_sheet_name(table.title, taken))
        sheet.append([table.title + (f" ({title})" if title else "")])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = "DD.MM.YYYY"
        sheet.column_dimensions["A"].width = max(12, min(60, max((len(str(r[0])) for r in table.rows), default=10) + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_json(report):
    """The report as JSON text."""
    return json.dumps(report.as_json(), ensure_ascii=False, indent=2)
