"""Spreadsheet exports: rows of text -> CSV bytes that Excel opens as intended.

Pure: standard library only. UTF-8 with a byte-order mark so Excel detects the
encoding, semicolons because Excel in Russian locales splits on them, and every
cell that a spreadsheet would read as a formula defused with a leading quote.
"""
import csv
import io

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
