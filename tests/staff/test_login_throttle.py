"""Wrong passwords slow down one (account, address) pair; only many from everywhere lock the account."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking.accounts import throttle as login_throttle
from booking.accounts.throttle import ThrottleRules, attempt_login, client_network, delay_after
from booking.models import OutboxMessage
from booking.core.timeutil import now_utc
from helpers import PASSWORD
from staff_support import text

SECRET = "test-secret-key-of-thirty-two-characters"


def from_address(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_stranger_throttled_on_one_address_does_not_keep_the_holder_out(client, new_browser, make_user):
    head = make_user("head")
    stranger = from_address(client, "203.0.113.7")
    answers = [stranger.log_in(head.email, "guess").status_code for _ in range(8)]
    assert answers[:3] == [401, 401, 401]
    assert answers[3:] == [429] * 5  # refused at once, the password not even checked
    throttled = stranger.log_in(head.email, PASSWORD)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert "Too many wrong passwords from this address." in text(throttled)
    holder = from_address(new_browser(), "198.51.100.20")
    assert holder.log_in(head.email, PASSWORD).status_code == 303


def test_the_wait_doubles_with_each_failure_and_has_a_ceiling():
    rules = ThrottleRules(free_failures=3, delay_base_seconds=2, delay_max_seconds=900)
    assert [delay_after(n, rules) for n in range(1, 8)] == [0, 0, 2, 4, 8, 16, 32]
    assert delay_after(40, rules) == 900


def test_waiting_out_the_delay_allows_the_next_try_and_a_success_clears_it(app, db, make_user, mailroom):
    head = make_user("head")
    rules = ThrottleRules(free_failures=3, delay_base_seconds=2, delay_max_seconds=900)
    now = now_utc()
    for _ in range(3):
        attempt = attempt_login(head.email, "guess", "203.0.113.7", now, rules, SECRET, mailroom)
    assert attempt.wait_seconds == 2 and not attempt.throttled
    assert attempt_login(head.email, PASSWORD, "203.0.113.7", now + timedelta(seconds=1), rules, SECRET,
                         mailroom).throttled
    fourth = attempt_login(head.email, "guess", "203.0.113.7", now + timedelta(seconds=2), rules, SECRET, mailroom)
    assert fourth.user is None and fourth.wait_seconds == 4
    later = now + timedelta(seconds=6)
    assert attempt_login(head.email, PASSWORD, "203.0.113.7", later, rules, SECRET, mailroom).user == head
    assert attempt_login(head.email, "typo", "203.0.113.7", later, rules, SECRET, mailroom).wait_seconds == 0


def test_an_unknown_address_is_throttled_exactly_like_a_real_account(client, make_user):
    head = make_user("head")
    real = [from_address(client, "203.0.113.7").log_in(head.email, "guess").status_code for _ in range(5)]
    unknown = [client.log_in("nobody@priyom.example", "guess").status_code for _ in range(5)]
    assert real == unknown == [401, 401, 401, 429, 429]


def test_an_ipv6_subscriber_is_one_address_across_its_network():
    assert client_network("2001:db8:1:2::5") == client_network("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_network("2001:db8:1:3::5") != client_network("2001:db8:1:2::5")
    assert client_network("::ffff:203.0.113.7") == "203.0.113.7"


@pytest.fixture
def lock_at_five(app):
    app.config["LOGIN_ACCOUNT_LOCK_FAILURES"] = 5
    app.config["LOGIN_ACCOUNT_LOCK_MINUTES"] = 60


def test_many_failures_from_many_addresses_lock_the_account_and_tell_holder_and_admins(
        app, client, db, make_user, lock_at_five):
    admin = make_user("admin", email="admin@priyom.example")
    make_user("admin", email="retired@priyom.example", active=False)
    head = make_user("head", email="karpov@priyom.example")
    for n in range(4):
        assert from_address(client, f"203.0.113.{n + 1}").log_in(head.email, "guess").status_code == 401
    db.session.refresh(head)
    assert head.locked_until is None
    from_address(client, "203.0.113.99").log_in(head.email, "guess")
    db.session.refresh(head)
    assert head.locked_until > now_utc() + timedelta(minutes=59)
    # Even the right password, from an address that never failed, waits for the lock to end.
    locked = from_address(client, "198.51.100.20").log_in(head.email, PASSWORD)
    assert locked.status_code == 401
    messages = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.recipient)).all()
    assert [m.recipient for m in messages] == [admin.email, head.email]
    assert all(m.booking_id is None and m.kind == "account_locked" and m.status == "pending" for m in messages)
    assert all(m.raw_message for m in messages)
    holder_text = next(m.body_text for m in messages if m.recipient == head.email)
    assert "Ваша учётная запись karpov@priyom.example" in holder_text and "заблокирована до" in holder_text
    assert "karpov@priyom.example" in messages[0].subject
    # Tries during the lock tell nobody again; the lock ends on its own.
    from_address(client, "203.0.113.50").log_in(head.email, "guess")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2
    head.locked_until = now_utc() - timedelta(seconds=1)
    db.session.commit()
    assert from_address(client, "198.51.100.20").log_in(head.email, PASSWORD).status_code == 303


def test_failures_older_than_an_hour_do_not_lock(app, db, make_user, lock_at_five, mailroom):
    head = make_user("head")
    rules = ThrottleRules.from_config(app.config)
    start = now_utc() - timedelta(minutes=90)
    for n in range(4):
        attempt_login(head.email, "guess", f"203.0.113.{n}", start, rules, SECRET, mailroom)
    attempt_login(head.email, "guess", "203.0.113.77", now_utc(), rules, SECRET, mailroom)
    db.session.refresh(head)
    assert head.locked_until is None


def test_a_new_password_forgets_the_failures(app, db, make_user, mailroom):
    head = make_user("head")
    rules = ThrottleRules.from_config(app.config)
    now = now_utc()
    for _ in range(5):
        attempt_login(head.email, "guess", "203.0.113.7", now, rules, SECRET, mailroom)
    assert attempt_login(head.email, PASSWORD, "203.0.113.7", now, rules, SECRET, mailroom).throttled
    login_throttle.forget_failures(head.email, SECRET)
    assert attempt_login(head.email, PASSWORD, "203.0.113.7", now, rules, SECRET, mailroom).user == head


def test_failures_answered_by_a_lock_do_not_lock_again_once_it_ends(app, db, make_user, lock_at_five, mailroom):
    head = make_user("head")
    make_user("admin")
    rules = ThrottleRules.from_config(app.config)
    start = now_utc()
    for n in range(5):
        attempt_login(head.email, "guess", f"203.0.113.{n}", start, rules, SECRET, mailroom)
    db.session.refresh(head)
    first_lock = head.locked_until
    during = start + timedelta(minutes=30)
    for n in range(5):  # the siege goes on while the account is locked
        attempt_login(head.email, "guess", f"198.51.100.{n}", during, rules, SECRET, mailroom)
    after = first_lock + timedelta(minutes=1)
    assert attempt_login(head.email, PASSWORD, "192.0.2.1", after, rules, SECRET, mailroom).user == head
    attempt_login(head.email, "typo", "192.0.2.1", after, rules, SECRET, mailroom)
    db.session.refresh(head)
    assert head.locked_until == first_lock
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2  # holder and admin, once
