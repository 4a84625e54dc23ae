"""Fixtures for the staff side: the days tests book on.

Accounts (``make_user``) and logging in (``log_in_as``) are the suite's, in tests/conftest.py.
CSRF protection stays on: every POST carries a token read from a page, as a browser would send it.
"""
import pytest

from helpers import first_free_day
from staff_support import recent_day


@pytest.fixture
def coming_day():
    """A weekday at least two days ahead, on no holiday: bookable by anyone."""
    return first_free_day()


@pytest.fixture
def past_day():
    """A day before today that is no holiday."""
    return recent_day()
