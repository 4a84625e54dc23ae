"""Links in messages (built by :meth:`~booking.notify.settings.Mailroom.url` from ``PUBLIC_BASE_URL``,
never from a request's Host header), and the signed single-use links that renew a manage link."""
import hashlib
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from .common import RENEWAL_MAX_AGE, RENEWAL_SALT


def _renewal_serializer(mailroom):
    return URLSafeTimedSerializer(mailroom.config["SECRET_KEY"], salt=RENEWAL_SALT)


def _token_fingerprint(booking):
    # Changes when the manage token is renewed, which makes every renewal link single-use.
    return hashlib.sha256(f"renewal:{booking.manage_token_hash}".encode()).hexdigest()[:24]


def renewal_signature(mailroom, booking):
    """The signed part of a renewal link for ``booking``'s current manage token."""
    return _renewal_serializer(mailroom).dumps({"b": booking.id, "f": _token_fingerprint(booking)})


def renewal_is_valid(mailroom, booking, signature):
    """Whether ``signature`` was made for ``booking``'s current token and has not expired."""
    try:
        data = _renewal_serializer(mailroom).loads(signature, max_age=int(RENEWAL_MAX_AGE.total_seconds()))
    except BadSignature:
        return False
    return (isinstance(data, dict) and data.get("b") == booking.id
            and secrets.compare_digest(str(data.get("f", "")), _token_fingerprint(booking)))


def manage_url(mailroom, booking, token):
    return mailroom.url("public.manage", code=booking.code, token=token)


def link_request_url(mailroom, booking):
    return mailroom.url("mail.request_link", code=booking.code)
