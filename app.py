"""WSGI entry point: ``flask --app app …`` and ``gunicorn app:app``."""
from booking import create_app

app = create_app()
