"""Absolute links to the site, built from one configured base: ``PUBLIC_BASE_URL``.

Every absolute URL Priyom hands out (in e-mails, calendar files and feeds,
on pages that show a link to copy, printed by commands) comes from
:func:`absolute_url`, never from the request's ``Host`` header, which the
sender of the request chooses. ``config.settle_public_base_url`` makes sure
the base is set before the application starts.
"""
from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint, **values):
    """The absolute URL of ``endpoint`` under ``PUBLIC_BASE_URL``, inside or outside a request."""
    parts = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def init_app(app):
    """Offer :func:`absolute_url` to templates."""
    app.add_template_global(absolute_url)
