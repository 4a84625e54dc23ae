"""Shared fixtures: an application per test on a fresh database, and factories.

The database is a temporary SQLite file unless ``TEST_DATABASE_URL`` names
another (PostgreSQL), in which case every test starts from empty tables.
"""
import os
from datetime import time

import pytest

from booking import create_app
from booking.extensions import db as _db
from booking.models import Closure, Division, ReceptionRule
from booking.services import Actor, Policy, create_booking
from booking.timeutil import now_utc
from catalogs import compile_catalogs
from helpers import details


def pytest_sessionstart(session):
    # The .mo files are built from the committed .po files; a run without `make` builds them too.
    compile_catalogs()


def database_url(tmp_path):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


def _empty_database(app):
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            _db.drop_all()
        _db.create_all()


@pytest.fixture
def app_config(tmp_path):
    """Configuration of the test application; override or extend in a test module."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "WTF_CSRF_ENABLED": True,
        "MAIL_SUPPRESS_SEND": True,
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    _empty_database(application)
    with application.app_context():
        yield application
        _db.session.remove()
        if _db.engine.dialect.name == "postgresql":
            _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def policy(app):
    return Policy.from_config(app.config)


@pytest.fixture
def make_division(db):
    """Create a division receiving on every weekday 10:00–13:00 unless told otherwise."""
    counter = iter(range(1, 10_000))

    def factory(slug=None, weekdays=(0, 1, 2, 3, 4), start="10:00", end="13:00", slot_minutes=20, places=1,
                closures=(), **fields):
        n = next(counter)
        division = Division(slug=slug or f"division-{n}", name=fields.pop("name", f"Филиал №{n}"),
                            head_name=fields.pop("head_name", "Иванов Иван Иванович"),
                            head_title=fields.pop("head_title", "Директор филиала"),
                            address=fields.pop("address", "Москва, ул. Тестовая, д. 1"), **fields)
        sh, sm = map(int, start.split(":"))
        eh, em = map(int, end.split(":"))
        for weekday in weekdays:
            division.rules.append(ReceptionRule(weekday=weekday, start_time=time(sh, sm), end_time=time(eh, em),
                                                slot_minutes=slot_minutes, places=places))
        for first, last in closures:
            division.closures.append(Closure(first_day=first, last_day=last, reason="Отпуск"))
        db.session.add(division)
        db.session.commit()
        return division

    return factory


@pytest.fixture
def make_booking(db, policy):
    """Book through the service, as a citizen would; returns ``(booking, token)``."""
    counter = iter(range(1, 10_000))

    def factory(division, start_dt, now=None, actor=None, **overrides):
        n = next(counter)
        overrides.setdefault("email", f"citizen{n}@example.ru")
        overrides.setdefault("phone", f"+7916{1000000 + n:07d}")
        booking, token = create_booking(division, start_dt, details(**overrides), now or now_utc(),
                                        actor=actor or Actor(), policy=policy)
        db.session.commit()
        return booking, token

    return factory
