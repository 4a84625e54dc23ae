"""Engine set-up that makes SQLite and PostgreSQL behave well with several server processes.

SQLite gets WAL mode, foreign keys and a busy timeout. A transaction that is
going to write starts with ``BEGIN IMMEDIATE``, so it waits for the write
lock up front instead of failing half-way when another process wrote first;
read-only transactions keep a plain ``BEGIN`` and never block anybody.

On both databases waiting is bounded: a connection or a lock that does not
come within the configured time raises ``OperationalError``, which the error
handlers answer with 503, instead of holding a worker until it is killed.
SQL parameters (personal data, token hashes) are kept out of error messages
and therefore out of logs.

The schema is made and changed by the migrations in ``migrations/`` only
(:func:`upgrade_database`); ``create_all`` is left to the tests.
"""
import contextlib
import contextvars
import time

import sqlalchemy as sa

_write_intent = contextvars.ContextVar("write_intent", default=False)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def engine_options(config):
    """SQLAlchemy engine options for ``config``: the defaults below, then SQLALCHEMY_ENGINE_OPTIONS."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    # A file cannot drop the connection; a server can, between two requests.
    # A server's connections are checked before use only after some idleness (see ping_when_idle).
    options = {"pool_pre_ping": False, "hide_parameters": not config.get("DEBUG")}
    if url.startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": config.get("DATABASE_CONNECT_TIMEOUT", 5),
            "options": f"-c lock_timeout={int(config.get('DATABASE_LOCK_TIMEOUT_MS', 10_000))}",
        }
    custom = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if "connect_args" in custom and "connect_args" in options:
        custom["connect_args"] = {**options["connect_args"], **custom["connect_args"]}
    return {**options, **custom}


def set_write_intent(value=True):
    """Mark the transactions of the current context as writers; returns a reset token."""
    return _write_intent.set(value)


@contextlib.contextmanager
def write_intent():
    """Within this block, new SQLite transactions take the write lock at BEGIN."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextlib.contextmanager
def outcome_connection(engine):
    """A connection for a run of small writes, each one statement committed on its own at once.

    It is in autocommit: one statement, one transaction, one round trip (on
    SQLite a lone statement takes the write lock for itself and waits up to
    ``busy_timeout`` like any writer). On PostgreSQL its commits also do not
    wait for the WAL to reach the disk (``synchronous_commit = off``): a crash
    of this process loses nothing once a statement returned; only a crash of
    the database server itself may forget the last fraction of a second of
    them. Use it for records whose loss costs a repeat (an e-mail marked
    sent), never for bookings. SQLite's ``synchronous = NORMAL`` already
    commits without waiting for the disk.
    """
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        if connection.dialect.name != "postgresql":
            yield connection
            return
        connection.exec_driver_sql("SET synchronous_commit TO OFF")
        connection.commit()  # ends SQLAlchemy's own bookkeeping of an open transaction
        try:
            yield connection
        finally:
            # Back to the server's setting before the connection returns to the pool.
            if not connection.invalidated:
                try:
                    connection.exec_driver_sql("RESET synchronous_commit")
                except sa.exc.DBAPIError:
                    connection.invalidate()  # never back to the pool with the setting on


def committed_rows(engine, sql, params):
    """``(column names, rows)`` of one read of committed data, straight on the driver's connection.

    ``sql`` is written with ``?`` placeholders. For the few reads made on every
    request of a page: SQLAlchemy's connection, BEGIN and ROLLBACK around a
    lookup by key cost several times the lookup. On a server the statement runs
    in autocommit; SQLite's connections issue no implicit BEGIN already.
    """
    raw = engine.raw_connection()
    server = engine.dialect.name != "sqlite"
    try:
        if server:
            raw.driver_connection.autocommit = True
        cursor = raw.cursor()
        try:
            cursor.execute(sql if engine.dialect.paramstyle == "qmark" else sql.replace("?", "%s"), params)
            names, rows = [column[0] for column in cursor.description], cursor.fetchall()
        finally:
            cursor.close()
            if server:
                raw.driver_connection.autocommit = False
    except Exception:
        raw.invalidate()  # never back to the pool in an unknown state
        raise
    finally:
        raw.close()
    return names, rows


def ping_when_idle(engine, idle_seconds):
    """Check a pooled server connection before lending it, but only if it sat unused ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` asks the server on every checkout: one more
    round trip for every request, as many as a kept page costs in all. A
    connection handed back a moment ago was working a moment ago; one that sat
    idle may have been dropped (a server restart, an idle timeout, a firewall)
    and is checked, and replaced if the server does not answer. What this
    gives up: a connection reused within ``idle_seconds`` of a server restart
    fails its first statement, which invalidates the whole pool (the request
    answers 503 and the next ones get new connections) — a restart already
    fails the requests of its own seconds.
    """

    @sa.event.listens_for(engine, "connect")
    def _connected(_dbapi_connection, record):
        record.info[_LAST_USED] = time.monotonic()

    @sa.event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _lent(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and lends a new one.
            raise sa.exc.DisconnectionError(f"an idle connection no longer answers: {error}") from error


_LAST_USED = "priyom.last_used"


def configure_engine(engine, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS, ping_after_idle_seconds=1):
    """Install the SQLite pragmas and transaction handling on ``engine``, or a server's idle check."""
    if engine.dialect.name != "sqlite":
        ping_when_idle(engine, ping_after_idle_seconds)
        return
    busy_timeout_ms = int(busy_timeout_ms)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, issue BEGIN, so savepoints work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # every statement is its own transaction
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


# The revision whose schema ``db.create_all()`` made before there were migrations.
BASELINE_REVISION = "47caad23754f"


def made_before_migrations(connection):
    """Whether the database has the application's tables but no migration history (made by ``create_all``)."""
    tables = set(sa.inspect(connection).get_table_names())
    return "alembic_version" not in tables and "division" in tables


def upgrade_database(db):
    """Bring the schema to the newest migration; returns True when the database had no history yet.

    ``migrations/env.py`` stamps a database made by ``create_all`` with
    :data:`BASELINE_REVISION` first, so its data stays and only later
    migrations run (``flask db upgrade`` does the same).
    """
    import flask_migrate

    with db.engine.connect() as connection:
        unversioned = made_before_migrations(connection)
    flask_migrate.upgrade()
    return unversioned


def schema_differences(db):
    """How the database's schema differs from the models, as Alembic's autogenerate sees it."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)
