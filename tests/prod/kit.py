"""Tools for the production tests: scratch databases, real gunicorn servers, plain HTTP, the booking form.

Everything here follows the database of the run: a temporary SQLite file, or
a new database on the PostgreSQL server of ``TEST_DATABASE_URL``.
"""
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import time as clock
from pathlib import Path

import pytest
import sqlalchemy as sa

from booking import create_app
from booking.extensions import db as _db
from helpers import MSK, csrf_token

ROOT = Path(__file__).resolve().parents[2]


def on_postgres():
    return (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


@contextlib.contextmanager
def scratch_database(directory):
    """The URL of a new, empty database, removed afterwards."""
    if not on_postgres():
        yield f"sqlite:///{Path(directory) / f'scratch-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    import psycopg

    server = sa.engine.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"priyom_scratch_{uuid.uuid4().hex[:10]}"
    params = dict(host=server.host, port=server.port, user=server.username, password=server.password,
                  dbname="postgres", autocommit=True)
    with psycopg.connect(**params) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**params) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_app(url, **config):
    """An application on ``url`` (not created tables: see :func:`create_schema`)."""
    settings = {"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
                "PUBLIC_BASE_URL": "http://localhost",
                "WTF_CSRF_ENABLED": True, "MAIL_SUPPRESS_SEND": True, "RATELIMIT_ENABLED": False}
    settings.update(config)
    return create_app(settings)


def add_division(app, places=1, slug=None):
    """A division receiving every day 10:00–13:00 in 20-minute slots of ``places`` places; returns its slug."""
    from booking.models import Division, ReceptionRule

    with app.app_context():
        slug = slug or f"division-{uuid.uuid4().hex[:8]}"
        division = Division(slug=slug, name=f"Филиал {slug}", head_name="Иванов Иван Иванович",
                            address="Москва, ул. Тестовая, д. 1")
        division.rules = [ReceptionRule(weekday=weekday, start_time=clock(10), end_time=clock(13), slot_minutes=20,
                                        places=places) for weekday in range(7)]
        _db.session.add(division)
        _db.session.commit()
        _db.session.remove()
        return slug


def add_api_key(app, name="Горячая линия", permissions=("bookings",)):
    """A new API client on ``app``'s database; returns its key."""
    from booking.accounts import api_clients as api_keys
    from booking.core.timeutil import now_utc

    with app.app_context():
        _client, key = api_keys.create_client(name, now_utc(), permissions)
        _db.session.commit()
        _db.session.remove()
        return key


def create_schema(app):
    """The schema through the migrations, as production makes it."""
    from booking.database import upgrade_database

    with app.app_context():
        upgrade_database(_db)


# --- real servers -----------------------------------------------------------------------------

class Gunicorn:
    """``gunicorn app:app`` with the project's gunicorn.conf.py, on a free port, stopped by :meth:`stop`."""

    def __init__(self, database_url, directory, workers=4, app="app:app", env=None):
        self.database_url = database_url
        self.directory = Path(directory)
        self.workers = workers
        self.app = app
        self.extra_env = env or {}
        self.process = None
        self.port = None
        self.error_log = self.directory / f"gunicorn-{uuid.uuid4().hex[:6]}.log"
        self.access_log = self.error_log.with_suffix(".access.log")

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("FLASK_", "GUNICORN")) and k not in ("DEMO_MODE", "WEB_CONCURRENCY", "PORT")}
        env.update({
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "FLASK_RATELIMIT_ENABLED": "false",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
        })
        env.update(self.extra_env)
        return env

    def start(self, timeout=60):
        command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                   "--bind", "127.0.0.1:0", "--workers", str(self.workers),
                   "--access-logfile", str(self.access_log), "--error-logfile", str(self.error_log),
                   self.app]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env(),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            if found and len(self.ready_workers()) >= self.workers:
                self.port = int(found.group(1))
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{text[-3000:]}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gunicorn did not become ready:\n{self.log()[-3000:]}")

    def log(self):
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def ready_workers(self):
        return [int(pid) for pid in re.findall(r"Worker ready \(pid: (\d+)\)", self.log())]

    def worker_pids(self):
        """The pids of the master's live worker processes."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # quick shutdown: the tests wait for nothing
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def request(self, method, path, body=None, headers=None, timeout=60):
        """One HTTP request on a fresh connection: ``(status, headers, body text)``."""
        return http_request(self.port, method, path, body, headers, timeout)


def http_request(port, method, path, body=None, headers=None, timeout=60):
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


# --- the web form through the test client -----------------------------------------------------

def booking_form(client, slug, start_dt, **fields):
    """Open the booking form for ``start_dt`` and return the fields a person would submit."""
    start = start_dt.astimezone(MSK).isoformat()
    page = client.get(f"/divisions/{slug}/book", query_string={"start": start})
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page), "start": start,
            "full_name": "Петров Пётр Петрович", "phone": "+7 916 123-45-67", "email": "petrov@example.ru",
            "topic": "heating", "consent": "y", "website": ""}
    data.update(fields)
    return data


def api_payload(slug, start_dt, **fields):
    payload = {"division": slug, "start": start_dt.astimezone(MSK).isoformat(), "name": "Петров Пётр Петрович",
               "email": "petrov@example.ru", "phone": "+79161234567", "topic": "heating", "consent": True}
    payload.update(fields)
    return payload


def fresh_clone(directory):
    """A ``git clone`` of the repository, with the working tree's edits and new files, and the venv linked."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = Path(directory) / "priyom"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    listed = subprocess.run(["git", "ls-files", "--modified", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_symlink() or not source.exists():
            (clone / name).unlink(missing_ok=True)  # deleted in the working tree, or a link such as .venv
            continue
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, clone / name)
    (clone / ".venv").symlink_to(Path(sys.prefix).resolve(), target_is_directory=True)
    return clone
