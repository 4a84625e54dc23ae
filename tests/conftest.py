"""Shared fixtures: an application per test on a fresh database, and factories.

The database is a temporary SQLite file unless ``TEST_DATABASE_URL`` names
another (PostgreSQL, see ``tests/pg.py``). The tables are made once per test
session: on SQLite in a template file that every test gets a copy of, on a
server in the database itself, emptied before every test. Either is much faster
than creating them again.
"""
import os
import shutil
import sqlite3
import warnings
from contextlib import closing
from datetime import time

import pytest
from argon2 import PasswordHasher
from catalogs import compile_catalogs
from helpers import PASSWORD, Browser, details, first_free_day, recent_day
from smtp_sink import SmtpSink

from booking import accounts, create_app
from booking.accounts import auth
from booking.bookings import Actor, Policy, create_booking
from booking.core.timeutil import now_utc
from booking.extensions import db as _db
from booking.models import Closure, Division, ReceptionRule
from booking.notify.settings import mailroom_of


def pytest_sessionstart(session):
    # The .mo files are built from the committed .po files; a run without `make` builds them too.
    compile_catalogs()


def database_url(tmp_path):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


_created_schemas = set()


def _empty_database(app, sqlite_template):
    """Fresh tables: on SQLite a copy of ``sqlite_template``; on a server, made once per session, then emptied."""
    with app.app_context():
        engine = _db.engine
        if engine.dialect.name == "sqlite":
            _fresh_sqlite_tables(engine, sqlite_template)
            return
        key = engine.url.render_as_string(hide_password=False)
        if key not in _created_schemas:
            _db.drop_all()
            _db.create_all()
            _created_schemas.add(key)
            return
        tables = ", ".join(engine.dialect.identifier_preparer.format_table(t) for t in _db.metadata.sorted_tables)
        with engine.begin() as conn:
            # A connection leaked by an earlier test would make TRUNCATE wait forever: fail instead.
            conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def _fresh_sqlite_tables(engine, template):
    """Copy ``template`` to the test's new database file (0.1 ms); the session's first test makes it (15–20 ms)."""
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:") or _has_tables(path):
        _db.create_all()
        return
    engine.dispose()  # no connection may see the file change under it
    if not template.exists():
        _db.create_all()
        engine.dispose()
        with closing(sqlite3.connect(path)) as made, closing(sqlite3.connect(template)) as copy:
            made.backup(copy)
        return
    for leftover in (f"{path}-wal", f"{path}-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    shutil.copyfile(template, path)


def _has_tables(path):
    if not os.path.exists(path):
        return False
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """Where the session's SQLite tests keep the empty tables they copy (made by the first of them)."""
    return tmp_path_factory.mktemp("schema") / "tables.sqlite3"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """argon2id with small costs for the whole run (module and session fixtures' accounts too), so logins stay fast.

    Servers started as programs (tests/prod's gunicorn) hash at the real costs.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        patch.setattr(accounts.operations._dummy, "password_hash", "")
        yield


@pytest.fixture
def app_config(tmp_path):
    """Configuration of the test application; override or extend in a test module."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-of-thirty-two-characters",
        # The test client's host, as a deployment's own address: requests for other hosts get 400.
        "PUBLIC_BASE_URL": "http://localhost",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "WTF_CSRF_ENABLED": True,
        "MAIL_SUPPRESS_SEND": True,
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def app(app_config, sqlite_template):
    application = create_app(app_config)
    _empty_database(application, sqlite_template)
    with application.app_context():
        yield application
        _db.session.remove()
        _db.engine.dispose()


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
    """A browser that asks for English, the language of the source strings; Russian is tested explicitly."""
    return new_browser()


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
def mailroom(app):
    """What sending needs of the test application (its live config, templates, links), for the operations."""
    return mailroom_of(app)


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
def coming_day():
    """A weekday at least two days ahead, on no holiday: bookable by anyone."""
    return first_free_day()


@pytest.fixture
def past_day():
    """A day before today that is no holiday."""
    return recent_day()


@pytest.fixture
def make_api_key(db):
    """Create a named API client; returns its key, as ``flask api-key create`` prints it."""
    from booking.accounts import api_clients as api_keys

    def factory(name="Горячая линия", permissions=("bookings",)):
        _client, key = api_keys.create_client(name, now_utc(), permissions)
        db.session.commit()
        return key

    return factory


@pytest.fixture
def api_key(make_api_key):
    """The key of the hotline's software, allowed to book."""
    return make_api_key()


@pytest.fixture
def make_booking(db, policy, mailroom):
    """Book through the service, as a citizen would; returns ``(booking, token)``."""
    counter = iter(range(1, 10_000))

    def factory(division, start_dt, now=None, actor=None, **overrides):
        n = next(counter)
        overrides.setdefault("email", f"citizen{n}@example.ru")
        overrides.setdefault("phone", f"+7916{1000000 + n:07d}")
        booking, token = create_booking(division, start_dt, details(**overrides), now or now_utc(),
                                        actor=actor or Actor(), policy=policy, mailroom=mailroom)
        db.session.commit()
        return booking, token

    return factory


@pytest.fixture
def make_user(db):
    """Create a staff account through ``booking.accounts``, as ``flask user create`` and the admin pages do.

    Every account has the password ``helpers.PASSWORD`` unless told otherwise.
    """
    counter = iter(range(1, 10_000))

    def factory(role="head", divisions=(), email=None, password=PASSWORD, name=None, active=True):
        n = next(counter)
        user = accounts.create_user(email or f"{role}{n}@priyom.example", role, password,
                                    name=name if name is not None else f"{str(role).title()} {n}",
                                    divisions=list(divisions), active=active)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def log_in_as(client):
    """Log ``user`` in on ``client`` through the login form, as the person would; fails the test if refused."""

    def log_in(user, password=PASSWORD):
        response = client.log_in(user.email, password)
        assert response.status_code == 303, f"the login was refused: {response.get_data(as_text=True)[:300]}"
        return user

    return log_in


# Real services shared by the whole session (tests/services.py). A test that changes their state
# (stops them, fills them) puts it back; `redis_server.flush()` and `kannel.clear()` help.

@pytest.fixture(scope="session")
def redis_server():
    """A Redis server on a free port: the URL ``redis://127.0.0.1:PORT`` with ``stop()``/``start()``/``flush()``."""
    import services
    from skips import unavailable

    program = services.find_program("redis-server")
    if program is None:
        unavailable("SKIP_REDIS", "redis-server is missing (Debian package redis-server)")
    server = services.RedisServer(program)
    try:
        yield server.start()
    finally:
        server.close()


@pytest.fixture
def kannel(kannel_session):
    """The session's Kannel, running: a program of it that ended since the last test is started again, and
    the test says so (with the log's tail) as a warning, so a gateway that falls over is seen, not hidden."""
    died = kannel_session.died()
    if died:
        warnings.warn("Kannel had stopped and was started again:\n" + "\n".join(died), stacklevel=1)
    return kannel_session.start()


@pytest.fixture(scope="session")
def kannel_session():
    """Kannel (bearerbox, smsbox) and the fake operator fakesmsc on free ports; see ``services.Kannel``."""
    import services
    from skips import unavailable

    missing = [name for name in ("bearerbox", "smsbox") if services.find_program(name) is None]
    if not os.access(services.FAKESMSC, os.X_OK):
        missing.append(services.FAKESMSC)
    if missing:
        unavailable("SKIP_KANNEL", f"{', '.join(missing)} missing (Debian packages kannel, kannel-extras)")
    gateway = services.Kannel()
    try:
        yield gateway.start()
    finally:
        gateway.close()


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free port of 127.0.0.1, recording what it receives (tests/smtp_sink.py)."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()
