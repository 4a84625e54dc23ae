"""Public pages kept per process as rendered, under the values they show.

A citizen's page is a function of a few values the view reads in the request
(the places held, the slot asked for, today's date…) plus the address and the
language. A view names those values (:func:`serve`); when a page was already
rendered for the same values, address, language and host, its text is answered
again instead of being rendered. Otherwise the view renders as usual and the
answer is kept once it is a plain 200 HTML page (:func:`_keep`, after the
request).

What keeps this exact: the key is built from what the view read in *this*
request (for the places held, the division's count of booking changes, see
:mod:`booking.change_counts`), so a place taken a moment ago changes the key
and the page. Never kept or served from here: anything but GET, staff sessions
(their navigation shows who they are) and pages with messages flashed to the
session. The CSRF token of a form is the one per-visitor part of a public page:
it is kept as a placeholder and each answer gets the visitor's own.

Pages that show a citizen's personal data — the manage page (kept under every
column of the booking) and a head's agenda — are kept for at most
``PAGE_CACHE_PERSONAL_SECONDS`` (default 300): past that a process drops them
(checked at most every few seconds while it serves pages), so data erased or
purged in the database do not live on in a server's memory.
"""
import secrets
import threading
from collections import OrderedDict
from datetime import timedelta

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from ..core.timeutil import now_utc

MAX_PAGES = 256
# How often, at most, a process looks for expired pages to drop.
SWEEP_SECONDS = 5
_CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
_LOCK = threading.Lock()  # threaded servers share a process's pages
_KEY = "priyom.page_key"
_UNTIL = "priyom.page_until"
_SWEPT = "priyom.pages_swept"


def _pages():
    return current_app.extensions.setdefault("priyom.pages", OrderedDict())


def _cacheable(staff=False):
    return request.method == "GET" and "_flashes" not in session and (staff or "_user_id" not in session)


def _full_key(key):
    # The address (path, query, scheme and host: pages carry absolute links) as received, and the language.
    environ = request.environ
    address = tuple(environ.get(name) for name in _ADDRESS)
    return (request.endpoint, address, str(get_locale()), session.get("lang"), key)


_ADDRESS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING")


def serve(key, staff=False, personal=False):
    """The kept answer of this page for ``key`` (a hashable tuple of what the page shows), or None.

    On None the view renders as usual; a plain 200 HTML answer is then kept
    under ``key``. ``staff``: a page for logged-in staff, whose ``key`` names the
    member of staff and everything the page shows of them. ``personal``: the page
    shows personal data, and is kept for ``PAGE_CACHE_PERSONAL_SECONDS`` at most.
    """
    if not _cacheable(staff):
        return None
    now = now_utc()
    pages = _pages()
    _sweep(pages, now)
    full_key = _full_key(key)
    found = pages.get(full_key)
    body, until = found if found is not None else (None, None)
    if body is None or (until is not None and now >= until):
        request.environ[_KEY] = (full_key, staff)
        if personal:
            keep_until(now + timedelta(seconds=current_app.config["PAGE_CACHE_PERSONAL_SECONDS"]))
        return None
    if _CSRF_PLACEHOLDER in body:
        body = body.replace(_CSRF_PLACEHOLDER, generate_csrf())
    return current_app.response_class(body, mimetype="text/html")


def _keep(response):
    """After a request that looked for a page in vain: keep its answer when it is a plain page."""
    full_key, staff = request.environ.pop(_KEY, (None, False))
    if full_key is None or response.status_code != 200 or response.mimetype != "text/html" \
            or response.direct_passthrough or not _cacheable(staff):
        return response
    body = response.get_data(as_text=True)
    token = g.get("csrf_token")
    if token:
        body = body.replace(token, _CSRF_PLACEHOLDER)
    pages = _pages()
    with _LOCK:
        pages[full_key] = (body, request.environ.get(_UNTIL))
        pages.move_to_end(full_key)
        while len(pages) > MAX_PAGES:
            pages.popitem(last=False)
    return response


def _sweep(pages, now):
    """Drop the pages past their time, at most every :data:`SWEEP_SECONDS`."""
    extensions = current_app.extensions
    last = extensions.get(_SWEPT)
    if last is not None and (now - last).total_seconds() < SWEEP_SECONDS:
        return
    with _LOCK:
        extensions[_SWEPT] = now
        for full_key in [k for k, (_body, until) in pages.items() if until is not None and now >= until]:
            del pages[full_key]


def keep_until(instant):
    """The page being rendered changes at ``instant`` (aware) without any write: keep it until then."""
    if instant is not None:
        request.environ[_UNTIL] = min(instant, request.environ.get(_UNTIL, instant))


def init_app(app):
    app.after_request(_keep)


def clear(app):
    """Forget every kept page of ``app`` (tests, and nothing else needs it)."""
    app.extensions.pop("priyom.pages", None)
    app.extensions.pop(_SWEPT, None)

