"""Fixtures for reception cards, answers and statistics: mail goes to a real SMTP sink.

Accounts (``make_user``), logging in (``log_in_as``), the days (``coming_day``, ``past_day``)
and the SMTP sink (``smtp_server``) are the suite's, in tests/conftest.py; the staff tests'
helpers (tests/staff/staff_support.py) are shared.
"""
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "staff"))


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_SUPPRESS_SEND": False,
            "MAIL_TIMEOUT": 5, "MAIL_DEFAULT_SENDER": "Приём <priyom@priyom.example>",
            "PUBLIC_BASE_URL": "https://priyom.example/", "EXTRA_TRUSTED_HOSTS": ["localhost"]}
