"""Fixtures for reception cards, answers and statistics: a real SMTP sink, past visits.

Accounts (``make_user``) and logging in (``log_in_as``) are the suite's, in tests/conftest.py;
the SMTP sink is the suite's ``smtp_server``.
"""
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "staff"))

from helpers import first_free_day  # noqa: E402
from staff_support import recent_day  # noqa: E402


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_SUPPRESS_SEND": False,
            "MAIL_TIMEOUT": 5, "MAIL_DEFAULT_SENDER": "Приём <priyom@priyom.example>",
            "PUBLIC_BASE_URL": "https://priyom.example/", "EXTRA_TRUSTED_HOSTS": ["localhost"]}


@pytest.fixture
def past_day():
    """A recent day, no holiday, at least a few days back so that earlier days are free too."""
    return recent_day()


@pytest.fixture
def coming_day():
    """A weekday at least two days ahead, on no holiday."""
    return first_free_day()
