"""API clients and their keys: create, list, revoke, and recognise a key on a request.

A key is ``pk_`` followed by 256 random bits; it is shown once, when created,
and only its SHA-256 is stored (a key is long and random, so a slow hash adds
nothing). Each client has a name, shown wherever its bookings appear
(«Через «Горячая линия»»), and permissions: ``bookings`` (create bookings
through ``POST /api/v1/bookings``) and ``statistics`` (read the statistics).

Request-free: the caller passes ``now`` and commits.
"""
import hashlib
import hmac
import secrets

import sqlalchemy as sa

from ..extensions import db
from ..models import ApiClient

PERMISSIONS = ("bookings", "statistics")
KEY_PREFIX = "pk_"
NAME_MAX = 200


class ApiKeyError(ValueError):
    """A client cannot be created or changed as asked; the message says why."""


def hash_key(key):
    """The stored form of an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key():
    """A fresh API key: ``pk_`` and 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _clean_permissions(permissions):
    chosen = []
    for permission in permissions:
        if permission not in PERMISSIONS:
            raise ApiKeyError(f"Unknown permission {permission!r}: use {', '.join(PERMISSIONS)}.")
        if permission not in chosen:
            chosen.append(permission)
    if not chosen:
        raise ApiKeyError("Choose at least one permission.")
    return chosen


def create_client(name, now, permissions=("bookings",)):
    """A new named client; returns ``(client, key)``, the only time the key exists in plain form."""
    name = " ".join((name or "").split())
    if not name:
        raise ApiKeyError("Give the client a name.")
    if len(name) > NAME_MAX:
        raise ApiKeyError(f"The name is too long (at most {NAME_MAX} characters).")
    key = new_key()
    client = ApiClient(name=name, key_hash=hash_key(key), key_prefix=key[:8],
                       permissions=" ".join(_clean_permissions(permissions)), created_at=now)
    db.session.add(client)
    db.session.flush()
    return client, key


def all_clients():
    """Every client, active ones first, newest first."""
    return db.session.scalars(sa.select(ApiClient).order_by(ApiClient.revoked_at.is_not(None),
                                                            ApiClient.created_at.desc(), ApiClient.id.desc())).all()


def get_client(client_id):
    return db.session.get(ApiClient, client_id)


def revoke(client, now):
    """Stop ``client``'s key at once; revoking twice changes nothing."""
    if client.revoked_at is None:
        client.revoked_at = now
        db.session.flush()
    return client


def authenticate(key, permission, now):
    """The active client whose key is ``key`` and who holds ``permission``, else None; notes the use."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    digest = hash_key(key)
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.key_hash == digest))
    if (client is None or not hmac.compare_digest(client.key_hash, digest) or client.revoked_at is not None
            or permission not in client.permission_set):
        return None
    client.last_used_at = now
    return client


def key_from_headers(headers):
    """The API key a request carries in ``X-API-Key`` or ``Authorization: Bearer``, else ''."""
    key = headers.get("X-API-Key", "").strip()
    if key:
        return key
    scheme, _sep, value = headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
