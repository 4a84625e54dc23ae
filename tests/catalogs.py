"""The message catalogs as the tests see them: the texts the code asks to translate, and the .mo files.

Extraction follows ``babel.cfg`` and the keywords of ``make translations``, so a
text marked in the code or a template is found here exactly as pybabel finds it.
"""
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "booking" / "translations"
# Babel's defaults plus BABEL_KEYWORDS of the Makefile.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2)}


def extract_messages():
    """A catalog of every text marked for translation in the code and templates."""
    mapping = ROOT / "babel.cfg"
    with mapping.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, filename=str(mapping))
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(locale):
    """The .po catalog of ``locale``."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def compile_catalogs():
    """Compile each .po whose .mo is missing or older, as ``make install`` does."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = read_catalog(po.parent.parent.name)
        with mo.open("wb") as f:
            write_mo(f, catalog)
