"""Spreadsheet exports: rows of text -> CSV or XLSX bytes that Excel opens as intended.

Pure: the standard library and openpyxl. CSV: UTF-8 with a byte-order mark so
Excel detects the encoding, semicolons because Excel in Russian locales splits
on them, and every cell that a spreadsheet would read as a formula defused with
a leading quote. XLSX: every cell typed as text, so nothing is read as a
formula or a number and nothing needs defusing.
"""
import csv
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITER = ";"


def spreadsheet_safe(value):
    """``value`` as text that no spreadsheet evaluates as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header, rows):
    """A CSV file (UTF-8 with BOM, ``;``-separated) of ``header`` and ``rows``."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    for row in [header, *rows]:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(header, rows, title="Sheet"):
    """An Excel workbook of one sheet named ``title``: ``header`` in bold, then ``rows``, every cell text."""
    book = Workbook()
    sheet = book.active
    sheet.title = re.sub(r"[\\/*?:\[\]]", "-", title)[:31] or "Sheet"
    widths = {}
    for row_no, row in enumerate([header, *rows], start=1):
        for col_no, value in enumerate(row, start=1):
            text = "" if value is None else str(value)
            cell = sheet.cell(row=row_no, column=col_no)
            if text:
                cell.value = text
                cell.data_type = "s"  # openpyxl would take "=…" for a formula: text it stays
            cell.number_format = "@"
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            widths[col_no] = max(widths.get(col_no, 8), min(len(text) + 2, 50))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for col_no, width in widths.items():
        sheet.column_dimensions[get_column_letter(col_no)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
