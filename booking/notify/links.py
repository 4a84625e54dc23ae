"""Absolute links in messages, and the signed single-use links that renew a manage link."""
import hashlib
import secrets
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .common import RENEWAL_MAX_AGE, RENEWAL_SALT, warn_once


def public_url(endpoint, **values):
    """An absolute URL of the public site under ``PUBLIC_BASE_URL``: never from a request's Host header."""
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    if not base:
        base = "http://127.0.0.1:5000/"
        warn_once("PUBLIC_BASE_URL is not set: links in e-mails point to %s", base)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def _renewal_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RENEWAL_SALT)


def _token_fingerprint(booking):
    # Changes when the manage token is renewed, which makes every renewal link single-use.
    return hashlib.sha256(f"renewal:{booking.manage_token_hash}".encode()).hexdigest()[:24]


def renewal_signature(booking):
    """The signed part of a renewal link for ``booking``'s current manage token."""
    return _renewal_serializer().dumps({"b": booking.id, "f": _token_fingerprint(booking)})


def renewal_is_valid(booking, signature):
    """Whether ``signature`` was made for ``booking``'s current token and has not expired."""
    try:
        data = _renewal_serializer().loads(signature, max_age=int(RENEWAL_MAX_AGE.total_seconds()))
    except BadSignature:
        return False
    return (isinstance(data, dict) and data.get("b") == booking.id
            and secrets.compare_digest(str(data.get("f", "")), _token_fingerprint(booking)))


def manage_url(booking, token):
    return public_url("public.manage", code=booking.code, token=token)


def link_request_url(booking):
    return public_url("mail.request_link", code=booking.code)
