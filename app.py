"""WSGI entry point: ``flask --app app …`` and ``gunicorn app:app``.

A configuration that cannot run (no ``SECRET_KEY`` or ``PUBLIC_BASE_URL`` in
production, for instance) stops with one line saying what to set, and exit
status 2, instead of a traceback.
"""
import sys

from booking import create_app
from booking.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as exc:
    print(f"Priyom cannot start: {exc}", file=sys.stderr)
    sys.exit(2)
