"""Staff sessions that really end: a version per account, an idle time, and the client it belongs to.

At login the session stores the account's ``session_version``; the user loader
registered here accepts the session only while the account still has that
version, so raising it (logout, a new password, a role change, deactivation,
"log out everywhere") ends every session opened before, copied cookies
included. A session unused for ``STAFF_IDLE_MINUTES`` ends too.

Flask-Login's "strong" protection ties a session to a hash of the client's
address and browser. Its own hash reads the raw ``X-Forwarded-For`` header,
which anyone can send; :func:`session_identifier` uses only the address that
ProxyFix established (``request.remote_addr``), so the header counts only
when ``PROXY_FIX_X_FOR`` says a proxy sets it.
"""
import hashlib
import time

from flask import current_app, request, session

from ..accounts.auth import load_active_user
from ..extensions import login_manager

VERSION_KEY = "_staff_version"
SEEN_KEY = "_staff_seen"
# Refresh the last-seen stamp at most this often, so that not every request rewrites the cookie.
SEEN_GRANULARITY_SECONDS = 60
FLASK_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds")


def session_identifier():
    """The hash Flask-Login stores at login and compares on every request."""
    agent = request.headers.get("User-Agent", "")
    base = f"{request.remote_addr}|{agent}"
    return hashlib.sha512(base.encode("utf-8", errors="replace")).hexdigest()


def start(user, clock=time.time):
    """Bind the session just logged in to ``user``'s current session version."""
    session[VERSION_KEY] = user.session_version or 0
    session[SEEN_KEY] = int(clock())


def _forget():
    for key in FLASK_LOGIN_KEYS + (VERSION_KEY, SEEN_KEY):
        session.pop(key, None)


def is_current(user, clock=time.time):
    """Whether the request's session may still act as ``user``; forgets an ended one."""
    now = int(clock())
    seen = session.get(SEEN_KEY)
    idle_seconds = current_app.config["STAFF_IDLE_MINUTES"] * 60
    if (session.get(VERSION_KEY) != (user.session_version or 0) or not isinstance(seen, int)
            or now - seen > idle_seconds):
        _forget()
        return False
    if now - seen >= SEEN_GRANULARITY_SECONDS:
        session[SEEN_KEY] = now
    return True


@login_manager.user_loader
def _load_user(user_id):
    user = load_active_user(user_id)
    return user if user is not None and is_current(user) else None
