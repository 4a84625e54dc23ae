"""Failures: an unreachable or locked database gives 503 without a stack trace and leaves nothing
half-written; a worker killed in the middle of a booking leaves no booking behind."""
import contextlib
import json
import os
import signal
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from booking.extensions import db
from booking.models import Booking
from helpers import first_free_day, slot_start
from pg import free_port
from prod.kit import Gunicorn, add_api_key, add_division, api_payload, booking_form, build_app, create_schema

STACK_TRACE_HINTS = ("Traceback", "File \"", "sqlalchemy", "psycopg", "OperationalError", "sqlite3")


def assert_unavailable(response, kind):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    for hint in STACK_TRACE_HINTS:
        assert hint not in body
    if kind == "json":
        assert response.get_json() == {"error": "unavailable", "message": response.get_json()["message"]}
    else:
        assert response.mimetype == "text/html"
        assert "temporarily unavailable" in body or "временно недоступен" in body


def test_an_unreachable_database_gives_503_pages_and_json(app_config):
    from booking import create_app

    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/priyom"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": dead, "DATABASE_CONNECT_TIMEOUT": 2,
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    start = slot_start(first_free_day(), "10:20")

    assert_unavailable(client.get("/"), "html")
    assert_unavailable(client.get("/divisions/severny-filial"), "html")
    assert_unavailable(client.post("/divisions/severny-filial/book", data={"start": start.isoformat()}), "html")
    assert_unavailable(client.get("/api/v1/divisions"), "json")
    assert_unavailable(client.post("/api/v1/bookings", json=api_payload("severny-filial", start),
                                   headers={"X-API-Key": "pk_" + "k" * 43}), "json")
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_an_unexpected_error_gives_500_without_a_stack_trace(app):
    def broken():
        raise ZeroDivisionError("secret detail")

    app.add_url_rule("/broken-for-test", view_func=broken)
    response = app.test_client().get("/broken-for-test")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret detail" not in body and "Traceback" not in body


@contextlib.contextmanager
def database_locked(url):
    """Hold the booking table locked from another connection: SQLite's write lock, PostgreSQL's table lock."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sa.engine.make_url(url).database, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
    else:
        import psycopg

        server = sa.engine.make_url(url)
        conn = psycopg.connect(host=server.host, port=server.port, user=server.username, dbname=server.database)
        conn.execute("LOCK TABLE booking IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def test_a_locked_database_gives_503_and_no_half_written_booking(scratch_url):
    """SQLite locked by another writer, or PostgreSQL's booking table locked, longer than the lock timeout."""
    app = build_app(scratch_url, DATABASE_LOCK_TIMEOUT_MS=300)
    create_schema(app)
    add_division(app, slug="locked")
    key = {"X-API-Key": add_api_key(app)}
    with app.app_context():
        client = app.test_client()
        start = slot_start(first_free_day(), "10:20")
        form = booking_form(client, "locked", start)
        db.session.remove()

        with database_locked(scratch_url):
            began = time.monotonic()
            assert_unavailable(client.post("/api/v1/bookings", json=api_payload("locked", start), headers=key),
                               "json")
            assert_unavailable(client.post("/divisions/locked/book", data=form), "html")
            assert time.monotonic() - began < 10  # the lock timeout, not a hung worker

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
        db.session.remove()
        # The place is free: nothing half-written holds it.
        assert client.post("/api/v1/bookings", json=api_payload("locked", start), headers=key).status_code == 201
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_a_booking_leaves_no_booking(scratch_url, tmp_path):
    app = build_app(scratch_url)
    create_schema(app)
    add_division(app, slug="killed")
    key = {"X-API-Key": add_api_key(app)}

    marker = tmp_path / "paused"
    server = Gunicorn(scratch_url, tmp_path, workers=1, app="prod.paused_app:app",
                      env={"PAUSE_MARKER": str(marker)}).start()
    try:
        start = slot_start(first_free_day(), "10:20")
        outcome = {}

        def book():
            try:
                outcome["response"] = server.request("POST", "/api/v1/bookings", api_payload("killed", start),
                                                      headers=key, timeout=60)
            except Exception as exc:  # the connection dies with the worker
                outcome["error"] = exc

        client_thread = threading.Thread(target=book)
        client_thread.start()
        deadline = time.monotonic() + 30
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        worker = int(marker.read_text())
        assert worker in server.worker_pids()
        os.kill(worker, signal.SIGKILL)  # the booking is written but not committed
        client_thread.join(timeout=60)
        assert "error" in outcome or outcome["response"][0] >= 500

        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
            db.session.remove()

        # gunicorn starts a new worker; the place is still free.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if server.request("GET", "/healthz", timeout=5)[0] == 200:
                    break
            time.sleep(0.1)
        status, _headers, body = server.request("POST", "/api/v1/bookings", api_payload("killed", start), key)
        assert status == 201, body
        assert json.loads(body)["status"] == "booked"
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()
