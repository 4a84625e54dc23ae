"""Staff accounts: creating users, setting passwords, checking them, ending sessions.

Request-free like the services: functions take ``now`` and flush; the
request or command commits. A login that fails never says why, so the
answer does not reveal whether an e-mail address has an account.
"""
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..core import validation
from .auth import check_password, hash_password
from ..extensions import db
from ..models import Division, Role, User

PASSWORD_MIN_LENGTH = 10

_dummy = SimpleNamespace(password_hash="")


class AccountError(ValueError):
    """A user or password refused for a reason the administrator should be told."""


def normalise_user_email(email):
    """The stored form of a staff e-mail address, checked as citizens' are (email-validator), lower-cased.

    Raises :class:`AccountError` for anything that is not an address.
    """
    try:
        return validation.normalise_email(email)
    except ValueError as exc:
        raise AccountError(_l(str(exc))) from None


def find_user(email):
    """The user with ``email`` (any case), or None."""
    try:
        email = normalise_user_email(email)
    except AccountError:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def check_new_password(password):
    """Raise :class:`AccountError` unless ``password`` is long enough to be set."""
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise AccountError(_l("A password needs at least %(num)d characters.", num=PASSWORD_MIN_LENGTH))


def divisions_by_slug(slugs):
    """The divisions named by ``slugs``, in that order; raises on an unknown slug."""
    found = {d.slug: d for d in db.session.scalars(sa.select(Division).where(Division.slug.in_(list(slugs))))}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise AccountError(_l("No division with the address name %(slug)s.", slug=", ".join(missing)))
    return [found[slug] for slug in slugs]


def create_user(email, role, password, name="", divisions=(), active=True):
    """A new active user; raises :class:`AccountError` on a taken e-mail, a bad role or a short password."""
    email = normalise_user_email(email)
    if role not in tuple(Role):
        raise AccountError(_l("Unknown role."))
    if find_user(email) is not None:
        raise AccountError(_l("A user with this e-mail already exists."))
    check_new_password(password)
    user = User(email=email, role=role, name=(name or "").strip(), password_hash=hash_password(password),
                divisions=list(divisions), active=active, failed_logins=0)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user, email, role, name="", active=True, divisions=()):
    """Change an account; a new role or a deactivation ends its sessions (their rights were the old ones).

    Raises :class:`AccountError` on an address that is not one or is another account's, or a bad role.
    """
    email = normalise_user_email(email)
    other = find_user(email)
    if other is not None and other.id != user.id:
        raise AccountError(_l("A user with this e-mail already exists."))
    if role not in tuple(Role):
        raise AccountError(_l("Unknown role."))
    if role != user.role or (user.active and not active):
        end_sessions(user)
    user.email, user.role, user.name, user.active = email, role, (name or "").strip(), active
    user.divisions = list(divisions)
    db.session.flush()
    return user


def all_users():
    """Every staff account, by role and address."""
    return db.session.scalars(sa.select(User).order_by(User.role, User.email)).all()


def divisions_by_id(ids):
    """The divisions with these ids (unknown ids are left out), by name."""
    if not ids:
        return []
    return db.session.scalars(sa.select(Division).where(Division.id.in_(list(ids))).order_by(Division.name)).all()


def set_password(user, password):
    """Replace the user's password, lift any lock-out and end the user's sessions."""
    check_new_password(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)
    return user


def end_sessions(user):
    """End every session of ``user`` opened so far (each one carries the version it started with)."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()
    return user


def is_locked(user, now):
    """Whether ``user``'s account is locked after too many wrong passwords from anywhere."""
    return user.locked_until is not None and user.locked_until > now


def authenticate(email, password, now):
    """The active, unlocked user with this e-mail and password, else None.

    Counting wrong passwords and locking is :mod:`booking.accounts.throttle`'s business;
    while an account is locked even the right password is refused.
    """
    user = find_user(email)
    if user is None or is_locked(user, now):
        _spend_a_verification(password)
        return None
    if not check_password(user, password) or not user.active:
        return None
    # An expired lock stays recorded: failures before its end never count towards the next one.
    db.session.flush()  # check_password may have rehashed
    return user


def _spend_a_verification(password):
    """Verify against a throwaway hash so unknown and locked accounts answer as slowly as real ones."""
    if not _dummy.password_hash:
        _dummy.password_hash = hash_password("not-a-password")
    check_password(_dummy, password)
