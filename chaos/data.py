"""What the database holds, read with plain SQL, and the data a scenario starts from.

The checks read the tables directly (``booking``, ``outbox_message``) so that
they judge what was stored, not what the application says it stored.
"""
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.parser import BytesHeaderParser

import psycopg
import sqlalchemy as sa

from chaos.load import API_HEADERS, booking_body, free_starts
from prod.kit import add_api_key, add_division, build_app, create_schema


def connect(url):
    """A psycopg connection to the database of the SQLAlchemy ``url``."""
    server = sa.engine.make_url(url)
    return psycopg.connect(host=server.host, port=server.port, user=server.username, dbname=server.database,
                           autocommit=True, connect_timeout=10)


def new_database(cluster, name, template=None):
    """An empty database (or a copy of ``template``) on ``cluster``; returns its URL."""
    with connect(cluster.url("postgres")) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return cluster.url(name)


def prepare_site(url, places):
    """The schema through the migrations, one division with ``places`` places per slot and an API client.

    Returns the division's slug; the client's key goes into every API call from now on.
    """
    app = build_app(url)
    create_schema(app)
    slug = add_division(app, places=places)
    API_HEADERS["X-API-Key"] = add_api_key(app, name="Нагрузка")
    dispose(app)
    return slug


def dispose(app):
    from booking.extensions import db

    with app.app_context():
        db.engine.dispose()


def stored_bookings(url, slug):
    """``{code: e-mail}`` of every booking of division ``slug``."""
    with connect(url) as conn:
        rows = conn.execute("SELECT b.code, b.email FROM booking b JOIN division d ON d.id = b.division_id "
                            "WHERE d.slug = %s", (slug,)).fetchall()
    return dict(rows)


def queue_confirmations(url, count, places=50, threads=4):
    """``count`` bookings made through the API in this process, each queueing its confirmation.

    The slots are more than a day and a half ahead, so that no reminder
    falls due while a scenario runs. A few threads book at once, each in
    slots of its own, so that the database's waits overlap.
    """
    slug = prepare_site(url, places)
    app = build_app(url, MAIL_SERVER="127.0.0.1", MAIL_SUPPRESS_SEND=False)  # requests only queue mail
    slots = app.test_client().get(f"/api/v1/divisions/{slug}/slots", headers=API_HEADERS).get_json()
    starts = free_starts(slots, min_hours_ahead=36)
    assert len(starts) * places >= count and len(starts) >= threads, "not enough places for the confirmations"

    def book(first):
        client = app.test_client()
        for n in range(first, count, threads):
            response = client.post("/api/v1/bookings", json=booking_body(slug, starts[n % len(starts)], n + 1),
                                   headers=API_HEADERS)
            assert response.status_code == 201, response.get_data(as_text=True)

    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(book, first) for first in range(threads)]:
            done.result()
    dispose(app)


def pending_message_ids(url):
    """The Message-IDs of the finished messages waiting in the outbox."""
    parser = BytesHeaderParser()
    with connect(url) as conn:
        rows = conn.execute("SELECT raw_message FROM outbox_message WHERE status = 'pending'").fetchall()
    return {parser.parsebytes(bytes(raw))["Message-ID"].strip() for (raw,) in rows}


def outbox_statuses(url):
    """``{status: count}`` of the outbox."""
    with connect(url) as conn:
        return Counter(dict(conn.execute("SELECT status, count(*) FROM outbox_message GROUP BY status").fetchall()))
