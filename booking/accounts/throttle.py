"""Wrong staff passwords: throttled per (account, client address), the account locked only by many.

A wrong password slows down only the address it came from: after
``free_failures`` failures in a row for one e-mail address from one client
address, that address waits ``delay_base_seconds`` before its next try, twice
as long after each further failure, at most ``delay_max_seconds``. Another
address is not slowed down, so a stranger who knows a staff e-mail cannot keep
its holder out. Only ``account_lock_failures`` failures across all addresses
within an hour lock the account as a whole, for ``account_lock_minutes``; the
holder and the administrators are told by e-mail.

Unknown e-mail addresses are throttled exactly like real ones, so the answers
reveal nothing about which accounts exist. Addresses are kept only as keyed
hashes (IPv6 by its /64 network, what one subscriber usually holds) and for
a day at most.

Request-free: callers pass the client address, the settings, the secret, ``now`` and the
application's mailroom (for the lock notice); the request commits.
"""
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from . import operations as accounts
from ..extensions import db
from ..models import LoginFailure, Role, User
from ..notify import staff_mail

KEEP_FAILURES = timedelta(days=1)
ACCOUNT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class ThrottleRules:
    """How wrong passwords are slowed down, read from the ``LOGIN_*`` settings."""

    free_failures: int = 3
    delay_base_seconds: int = 2
    delay_max_seconds: int = 900
    account_lock_failures: int = 50
    account_lock_minutes: int = 60

    @classmethod
    def from_config(cls, config):
        return cls(
            free_failures=config["LOGIN_FREE_FAILURES"],
            delay_base_seconds=config["LOGIN_DELAY_BASE_SECONDS"],
            delay_max_seconds=config["LOGIN_DELAY_MAX_SECONDS"],
            account_lock_failures=config["LOGIN_ACCOUNT_LOCK_FAILURES"],
            account_lock_minutes=config["LOGIN_ACCOUNT_LOCK_MINUTES"],
        )


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of a login: the user, else how long this address must wait before its next try.

    ``throttled`` means the password was not even checked, the address having tried too soon.
    """

    user: object = None
    wait_seconds: int = 0
    throttled: bool = False


def _keyed(secret, kind, value):
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def client_network(address):
    """The unit an address is throttled by: an IPv4 address, or the /64 network of an IPv6 one."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def delay_after(failures, rules):
    """Seconds an address waits after ``failures`` wrong passwords in a row."""
    if failures < rules.free_failures:
        return 0
    return min(rules.delay_max_seconds, rules.delay_base_seconds * 2 ** (failures - rules.free_failures))


def _pair_failures(account_key, client_key):
    rows = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(LoginFailure.at))
        .where(LoginFailure.account_key == account_key, LoginFailure.client_key == client_key)).one()
    return rows[0], rows[1]


def wait_seconds(account_key, client_key, now, rules):
    """How long this (account, address) pair must still wait before its next try."""
    count, last_at = _pair_failures(account_key, client_key)
    if not count:
        return 0
    remaining = last_at + timedelta(seconds=delay_after(count, rules)) - now
    return max(0, int(remaining.total_seconds() + 0.999))


def _account_failures_since(account_key, since):
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)
                             .where(LoginFailure.account_key == account_key, LoginFailure.at > since))


def forget_failures(email, secret):
    """Drop every wrong password recorded for ``email``: a new password starts afresh everywhere."""
    account_key = _keyed(secret, "account", accounts.normalise_user_email(email))
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.account_key == account_key))


def attempt_login(email, password, client_address, now, rules, secret, mailroom):
    """Check a login from ``client_address``; a :class:`LoginAttempt` says who, or how long to wait."""
    account_key = _keyed(secret, "account", accounts.normalise_user_email(email))
    client_key = _keyed(secret, "client", client_network(client_address))
    waiting = wait_seconds(account_key, client_key, now, rules)
    if waiting:
        return LoginAttempt(wait_seconds=waiting, throttled=True)
    user = accounts.authenticate(email, password, now)
    if user is not None:
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.account_key == account_key,
                                                         LoginFailure.client_key == client_key))
        db.session.flush()
        return LoginAttempt(user=user)
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.at < now - KEEP_FAILURES))
    db.session.add(LoginFailure(account_key=account_key, client_key=client_key, at=now))
    db.session.flush()
    found = accounts.find_user(email)
    # A locked account answers like any other (it is still counted), and its holder is told once.
    if found is not None and not accounts.is_locked(found, now):
        _lock_when_besieged(found, account_key, now, rules, mailroom)
    return LoginAttempt(wait_seconds=wait_seconds(account_key, client_key, now, rules))


def _lock_when_besieged(user, account_key, now, rules, mailroom):
    # Failures before the end of an earlier lock were answered by that lock already.
    since = now - ACCOUNT_WINDOW
    if user.locked_until is not None and user.locked_until > since:
        since = user.locked_until
    failures = _account_failures_since(account_key, since)
    if failures < rules.account_lock_failures:
        return
    user.locked_until = now + timedelta(minutes=rules.account_lock_minutes)
    db.session.flush()
    admins = db.session.scalars(sa.select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                                .order_by(User.id)).all()
    staff_mail.queue_account_locked(mailroom, user, admins, failures, now)
