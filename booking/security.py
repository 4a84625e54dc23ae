"""Protection of the running site: response headers, cookies, proxies, abuse limits and logs.

- Every response forbids inline scripts and styles (Content-Security-Policy),
  framing and MIME sniffing, and sends a Referer only to this site.
- A response to a request that carries a secret (a ``token`` in the address
  or the URL rule, an ``Authorization`` header, a logged-in staff session, or a
  view marked :func:`private` / a blueprint with ``bp.before_request(mark_private)``),
  and any answer to a form or API submission, is never stored by a cache and
  sends no Referer at all, so a manage link cannot leak to another site.
- Abuse limits per client address: :func:`limit_booking` and
  :func:`limit_api_booking` guard booking creation, :func:`limit_login` is for
  the staff login form (``@bp.route(...)`` then ``@limit_login`` on the view).
  ``RATELIMIT_ENABLED=False`` switches them all off.
- Secrets in log lines (``token=…``, ``Bearer …``, long random path segments)
  are replaced by ``[redacted]``.
"""
import logging
import re
from functools import wraps

from flask import current_app, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import limiter

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])

_SECRET_PATTERNS = [
    # Also percent-encoded (``token%3D…``, ``token%253D…``), as inside a ``next=`` parameter.
    (re.compile(r"(\b[\w-]*token(?:=|%3D|%253D))[^&\s\"']+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(\bBearer\s+)[^\s\"']+", re.IGNORECASE), r"\1[redacted]"),
    # The key of a short renewal link sent by SMS (/r/<code>/<key>).
    (re.compile(r"(/r/[A-Za-z0-9]+/)[a-z0-9]+"), r"\1[redacted]"),
    # A path segment that looks like a random secret (a feed URL, for instance).
    (re.compile(r"/(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{32,}"), "/[redacted]"),
]
REDACTED_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def init_app(app):
    """Install the proxy settings, cookie flags, response headers and log redaction on ``app``."""
    _install_proxy_fix(app)
    if app.config.get("BEHIND_HTTPS"):
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")
    app.after_request(_security_headers)
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis://", "rediss://", "redis+")):
        # Give up on an unreachable Redis within a second (then count in memory) instead of holding the request.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    for name in REDACTED_LOGGERS + (app.logger.name,):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def _install_proxy_fix(app):
    counts = {part: int(app.config.get(f"PROXY_FIX_X_{part.upper()}") or 0)
              for part in ("for", "proto", "host", "port", "prefix")}
    if any(counts.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **{f"x_{part}": n for part, n in counts.items()})


_PRIVATE = "priyom.private_response"


def mark_private():
    """Treat the current response as personal: no caching, no Referer (usable as ``before_request``)."""
    request.environ[_PRIVATE] = True


def private(view):
    """Mark a view whose response is personal even without a token in its address."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        mark_private()
        return view(*args, **kwargs)

    return wrapped


def _staff_session():
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies and "_user_id" in session


def carries_secret():
    """Whether the current request holds a secret that must not leak through caches or Referer."""
    return bool(
        request.method not in ("GET", "HEAD")
        or any("token" in name for name in request.args)
        or any("token" in name for name in (request.view_args or {}))
        or "Authorization" in request.headers
        or request.environ.get(_PRIVATE)
        or _staff_session()
    )


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if carries_secret():
        headers["Referrer-Policy"] = "no-referrer"
        # A view may already allow private revalidation (calendar feeds answer 304); never a shared cache.
        cache_control = headers.get("Cache-Control", "")
        if "private" not in cache_control and "no-store" not in cache_control:
            headers["Cache-Control"] = "no-store"
        headers.setdefault("X-Robots-Tag", "noindex")
    else:
        headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("BEHIND_HTTPS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


class RedactSecrets(logging.Filter):
    """Replace tokens in a log record's message by ``[redacted]``."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's business, not ours
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact(text):
    """``text`` with every secret-looking part replaced by ``[redacted]``."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _exempt():
    return request.remote_addr in current_app.config.get("RATELIMIT_EXEMPT_IPS", ())


def _config_limit(key):
    return lambda: current_app.config[key]


def limit_booking(view):
    """At most ``BOOKING_RATE_LIMIT`` form submissions per client address."""
    return limiter.limit(_config_limit("BOOKING_RATE_LIMIT"), methods=["POST"], exempt_when=_exempt)(view)


def limit_api_booking(view):
    """At most ``API_BOOKING_RATE_LIMIT`` API bookings per client address (``RATELIMIT_EXEMPT_IPS`` are free)."""
    return limiter.limit(_config_limit("API_BOOKING_RATE_LIMIT"), methods=["POST"], exempt_when=_exempt)(view)


def limit_login(view):
    """At most ``LOGIN_RATE_LIMIT`` login attempts (POST) per client address."""
    return limiter.limit(_config_limit("LOGIN_RATE_LIMIT"), methods=["POST"], exempt_when=_exempt)(view)
