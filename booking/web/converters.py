"""URL converters: ``<int:…>`` in any route matches only numbers a database integer column can hold.

Werkzeug's own ``int`` matches any number of digits; a row id such as 99999999999999999999 then
reaches the query and SQLite (or PostgreSQL's ``integer``) refuses it with a 500. Such an address
now simply matches no route: 404.
"""
from werkzeug.routing import IntegerConverter

ROW_ID_MAX = 2**31 - 1  # PostgreSQL's integer; SQLite's is wider


class RowIdConverter(IntegerConverter):
    """A positive number that fits an integer column, else no match."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=ROW_ID_MAX, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_converters(app):
    """Replace the ``int`` converter before any route is added."""
    app.url_map.converters["int"] = RowIdConverter
