"""Pooled connections are checked only after they sat idle, and one the server dropped is replaced unseen.

On PostgreSQL the application's own engine is used and the server really ends
the connection (``pg_terminate_backend``). SQLite's engine has no such check
(a file cannot drop a connection), so there the check is installed on an
engine of its own and "dropped" means the driver's connection closed under it.
"""
import time

import pytest
import sqlalchemy as sa

from booking.database import ping_when_idle
from booking.extensions import db

IDLE = 1


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DATABASE_PING_AFTER_IDLE_SECONDS": IDLE}


@pytest.fixture
def engine(app, tmp_path):
    if db.engine.dialect.name == "postgresql":
        yield db.engine
        return
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'idle.db'}")
    ping_when_idle(engine, IDLE)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine, monkeypatch):
    calls = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        calls.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return calls


def backend(conn):
    """Something that names the server-side connection: its process id, or the driver's connection."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    return id(conn.connection.driver_connection)


def drop(engine, conn):
    """A function that ends ``conn``'s connection behind the pool's back, once it is back in the pool."""
    if engine.dialect.name == "postgresql":
        pid = backend(conn)

        def terminate():
            outside = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)  # not the pool's own connection
            try:
                with outside.connect() as other:
                    assert other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
            finally:
                outside.dispose()
        return terminate
    return conn.connection.driver_connection.close


def test_a_connection_used_a_moment_ago_is_lent_without_asking_the_server(engine, pings):
    with engine.connect() as conn:
        first = backend(conn)
    for _ in range(5):
        with engine.connect() as conn:
            assert backend(conn) == first
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    assert pings == []


def test_an_idle_connection_the_server_dropped_is_replaced_without_an_error(engine, pings):
    with engine.connect() as conn:
        first = backend(conn)
        end_it = drop(engine, conn)
    end_it()
    time.sleep(IDLE + 0.2)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        assert backend(conn) != first
    assert len(pings) >= 1
