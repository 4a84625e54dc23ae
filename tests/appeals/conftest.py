"""Fixtures for reception cards, answers and statistics: staff accounts, a real SMTP sink, past visits.

The staff helpers (logging in with the CSRF token) are the ones of ``tests/staff``;
the SMTP sink is the suite's ``smtp_server``.
"""
import sys
from pathlib import Path

import pytest

from booking import accounts

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "staff"))

from helpers import first_free_day  # noqa: E402
from staff_support import PASSWORD, log_in, recent_day  # noqa: E402


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_SUPPRESS_SEND": False,
            "MAIL_TIMEOUT": 5, "MAIL_DEFAULT_SENDER": "Приём <priyom@priyom.example>",
            "PUBLIC_BASE_URL": "https://priyom.example/", "EXTRA_TRUSTED_HOSTS": ["localhost"]}


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def factory(role="head", divisions=(), name=None):
        n = next(counter)
        user = accounts.create_user(f"{role}{n}@priyom.example", role, PASSWORD,
                                    name=name or f"{role.title()} {n}", divisions=list(divisions))
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login_as(client):
    def login(user):
        assert log_in(client, user.email).status_code == 303
        return user

    return login


@pytest.fixture
def past_day():
    """A recent day, no holiday, at least a few days back so that earlier days are free too."""
    return recent_day()


@pytest.fixture
def coming_day():
    """A weekday at least two days ahead, on no holiday."""
    return first_free_day()
