"""The account commands: ``flask create-user`` and ``flask set-password``."""
from datetime import timedelta

import pytest

from booking.accounts.auth import check_password
from booking.models import User
from booking.core.timeutil import now_utc


def user(db, email):
    return db.session.query(User).filter_by(email=email).one_or_none()


def test_create_a_head_for_two_divisions(runner, db, make_division):
    make_division(slug="severny-filial"), make_division(slug="yuzhny-filial")
    result = runner.invoke(args=["create-user", "--email", "Karpov@Priyom.example", "--role", "head",
                                 "--division", "severny-filial", "--division", "yuzhny-filial",
                                 "--name", "Карпов Андрей", "--password", "long enough secret"])
    assert result.exit_code == 0, result.output
    assert "Account karpov@priyom.example created: head for severny-filial, yuzhny-filial." in result.output
    head = user(db, "karpov@priyom.example")
    assert (head.role, head.name, head.active) == ("head", "Карпов Андрей", True)
    assert sorted(d.slug for d in head.divisions) == ["severny-filial", "yuzhny-filial"]
    assert head.password_hash.startswith("$argon2id$") and "long enough secret" not in head.password_hash
    assert check_password(head, "long enough secret")


def test_without_password_it_is_asked_for_twice(runner, db):
    result = runner.invoke(args=["create-user", "--email", "op@priyom.example", "--role", "operator"],
                           input="typed secret 123\ntyped secret 123\n")
    assert result.exit_code == 0, result.output
    assert "typed secret 123" not in result.output  # hidden while typed
    assert check_password(user(db, "op@priyom.example"), "typed secret 123")


def test_a_mistyped_confirmation_is_asked_again(runner, db):
    result = runner.invoke(args=["create-user", "--email", "op@priyom.example", "--role", "operator"],
                           input="typed secret 123\ntypo secret 123\ntyped secret 123\ntyped secret 123\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert check_password(user(db, "op@priyom.example"), "typed secret 123")


@pytest.mark.parametrize("args, message", [
    (["--role", "head"], "A head needs at least one --division."),
    (["--role", "head", "--division", "nowhere"], "No division with the address name nowhere."),
    (["--role", "operator", "--division", "severny-filial"], "Only heads belong to divisions"),
    (["--role", "admin", "--password", "short"], "A password needs at least 10 characters."),
    (["--role", "chief", "--password", "long enough secret"], "Invalid value for '--role'"),
])
def test_refusals_say_why_and_create_nothing(runner, db, make_division, args, message):
    make_division(slug="severny-filial")
    result = runner.invoke(args=["create-user", "--email", "x@priyom.example", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert user(db, "x@priyom.example") is None


def test_an_email_can_have_one_account_only(runner, db, make_user):
    make_user("operator", email="op@priyom.example")
    result = runner.invoke(args=["create-user", "--email", "OP@priyom.example", "--role", "admin",
                                 "--password", "long enough secret"])
    assert result.exit_code != 0 and "already exists" in result.output
    assert user(db, "op@priyom.example").role == "operator"


def test_set_password_replaces_it_and_lifts_a_lock_out(runner, db, make_user):
    account = make_user("head", email="head@priyom.example")
    account.locked_until = now_utc() + timedelta(minutes=10)
    account.failed_logins = 3
    db.session.commit()
    result = runner.invoke(args=["set-password", "--email", "HEAD@priyom.example"],
                           input="another secret 1\nanother secret 1\n")
    assert result.exit_code == 0, result.output
    db.session.refresh(account)
    assert check_password(account, "another secret 1")
    assert account.locked_until is None and account.failed_logins == 0


def test_set_password_for_an_unknown_email_fails(runner, db):
    result = runner.invoke(args=["set-password", "--email", "nobody@priyom.example", "--password", "long enough 1"])
    assert result.exit_code != 0 and "No account with this e-mail." in result.output


def test_staff_addresses_are_checked_the_same_way_everywhere(db, runner):
    """create-user reads an address as the forms do (email-validator): refused when it is none, stored lower-cased."""
    result = runner.invoke(args=["create-user", "--email", "not an address@", "--role", "operator",
                                 "--password", "correct horse battery"])
    assert result.exit_code != 0 and "name@example.ru" in result.output
    result = runner.invoke(args=["create-user", "--email", "Operator@Example.RU", "--role", "operator",
                                 "--password", "correct horse battery"])
    assert result.exit_code == 0 and "operator@example.ru" in result.output
