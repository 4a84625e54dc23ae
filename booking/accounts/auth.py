"""Staff identity: password hashing, loading the logged-in user and access checks.

Who may see what is decided here, once: a head sees only the divisions they
belong to; operators, administrators and directors see every division. A
director reads only: every request that would change something through a view
guarded by :func:`roles_required` is refused (by the web layer, which reads
the request's method: :func:`booking.web.answers.directors_only_read`).
"""
from functools import wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Division, Role, User

_hasher = PasswordHasher()


def hash_password(password):
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password(user, password):
    """Whether ``password`` is the user's; rehashes in place when parameters changed."""
    if not user.password_hash:
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def load_active_user(user_id):
    """The active user whose id a session holds, else None (the session's own checks: web.sessions)."""
    try:
        user = db.session.get(User, int(user_id),
                              options=[joinedload(User.divisions).undefer(Division.change_count)])
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None


def can_access_division(user, division):
    """Whether ``user`` may see the visitors of ``division``."""
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role in (Role.ADMIN, Role.OPERATOR, Role.DIRECTOR):
        return True
    return any(d.id == division.id for d in user.divisions)


def require_division(division):
    """Abort with 403 unless the current user may see ``division``."""
    if not can_access_division(current_user, division):
        abort(403)


def roles_required(*roles):
    """View decorator: logged in (else redirect to login) and holding one of ``roles`` (else 403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            # login_required lets OPTIONS through unauthenticated; nobody without the role passes here.
            if not current_user.is_authenticated or current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


STAFF = (Role.HEAD, Role.OPERATOR, Role.ADMIN, Role.DIRECTOR)
READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")
