"""Fixtures for the staff side: accounts, logging in, and the days tests book on.

CSRF protection stays on: every POST carries a token
read from a page, as a browser would send it.
"""
import pytest

from booking import accounts
from helpers import Browser, first_free_day
from staff_support import PASSWORD, log_in, recent_day, text


@pytest.fixture
def new_browser(app):
    """Open another browser: a test client with its own cookies, asking for English pages."""
    app.test_client_class = Browser

    def factory():
        browser = app.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the language of the source strings
        return browser

    return factory


@pytest.fixture
def client(new_browser):
    return new_browser()


@pytest.fixture
def make_user(db):
    """Create a staff account through the same code as the command and the admin pages."""
    counter = iter(range(1, 10_000))

    def factory(role="head", divisions=(), email=None, password=PASSWORD, name=None, active=True):
        n = next(counter)
        user = accounts.create_user(email or f"{role}{n}@priyom.example", role, password,
                                    name=name if name is not None else f"{role.title()} {n}",
                                    divisions=list(divisions))
        user.active = active
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login_as(client):
    """Log ``client`` in as ``user``; fails the test if the login is refused."""

    def login(user, password=PASSWORD):
        response = log_in(client, user.email, password)
        assert response.status_code == 303, text(response)
        return user

    return login


@pytest.fixture
def coming_day():
    """A weekday at least two days ahead, on no holiday: bookable by anyone."""
    return first_free_day()


@pytest.fixture
def past_day():
    """A day before today that is no holiday."""
    return recent_day()
