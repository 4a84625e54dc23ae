"""A count per division of the changes to what its pages show, kept by the database itself.

Every INSERT, UPDATE or DELETE of a row of the division's bookings, reception
rules, closures or calendar feed token, and every change to the division's own
row, adds one to its count (table ``division_change_count``) in the same
transaction, through triggers: whoever writes (the site, staff pages, the API,
a command, plain SQL) is counted. On PostgreSQL the triggers are deferred to
the commit, so two bookings in one division hold the count's row only while
they commit.

Two reads that see the same count for a division see the same bookings,
schedule and feed of that division: what is derived from them (the places held
in each slot, a head's agenda) can be kept under the count, and one lookup by
key replaces reading them again (:mod:`booking.bookings.availability`,
:mod:`booking.web.page_cache`). A division without a row has had none of those
written since the triggers exist.

The triggers are made with the tables (``create_all``, for the tests) and by
the migrations ``65cf53887470`` (bookings) and ``3b7d2f1c9a40`` (the rest).
"""
import sqlalchemy as sa

TABLE = "division_change_count"
# Each counted table and its column naming the division.
SOURCES = {"booking": "division_id", "reception_rule": "division_id", "closure": "division_id",
           "feed_token": "division_id", "division": "id"}


def _sqlite_bump(division):
    return (f"INSERT INTO {TABLE} (division_id, changes) SELECT {division}, 1 WHERE {division} IS NOT NULL "
            f"ON CONFLICT (division_id) DO UPDATE SET changes = changes + 1;")


def sqlite_triggers(table, column):
    """``{name: CREATE TRIGGER …}`` counting the writes to ``table`` for the division in ``column``."""
    new, old = f"NEW.{column}", f"OLD.{column}"
    return {
        f"{table}_counted_insert": f"CREATE TRIGGER {table}_counted_insert AFTER INSERT ON {table} BEGIN "
                                   f"{_sqlite_bump(new)} END",
        f"{table}_counted_delete": f"CREATE TRIGGER {table}_counted_delete AFTER DELETE ON {table} BEGIN "
                                   f"{_sqlite_bump(old)} END",
        # A row moved to another division (never done, but possible in SQL) changes both.
        f"{table}_counted_update": f"CREATE TRIGGER {table}_counted_update AFTER UPDATE ON {table} BEGIN "
                                   f"{_sqlite_bump(new)} "
                                   f"INSERT INTO {TABLE} (division_id, changes) SELECT {old}, 1 "
                                   f"WHERE {old} IS NOT {new} AND {old} IS NOT NULL "
                                   f"ON CONFLICT (division_id) DO UPDATE SET changes = changes + 1; END",
    }


POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION division_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  new_division bigint;
  old_division bigint;
BEGIN
  -- TG_ARGV[0]: the column naming the division ('id' on the division table itself).
  IF TG_OP <> 'DELETE' THEN
    IF TG_ARGV[0] = 'id' THEN new_division := NEW.id; ELSE new_division := NEW.division_id; END IF;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    IF TG_ARGV[0] = 'id' THEN old_division := OLD.id; ELSE old_division := OLD.division_id; END IF;
  END IF;
  IF new_division IS NOT NULL THEN
    INSERT INTO {TABLE} (division_id, changes) VALUES (new_division, 1)
      ON CONFLICT (division_id) DO UPDATE SET changes = {TABLE}.changes + 1;
  END IF;
  IF old_division IS NOT NULL AND old_division IS DISTINCT FROM new_division THEN
    INSERT INTO {TABLE} (division_id, changes) VALUES (old_division, 1)
      ON CONFLICT (division_id) DO UPDATE SET changes = {TABLE}.changes + 1;
  END IF;
  RETURN NULL;
END $$
"""


def postgresql_trigger(table, column):
    return (f"CREATE CONSTRAINT TRIGGER {table}_counted AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION division_counted('{column}')")


def create_triggers(conn):
    """Make the triggers on ``conn``'s database (the counted tables and the count table exist)."""
    if conn.dialect.name == "sqlite":
        for table, column in SOURCES.items():
            for statement in sqlite_triggers(table, column).values():
                conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(POSTGRESQL_FUNCTION)
        for table, column in SOURCES.items():
            conn.exec_driver_sql(postgresql_trigger(table, column))


def drop_triggers(conn):
    """Remove the triggers (a bulk load does, then :func:`create_triggers` and :func:`count_all`)."""
    for table, column in SOURCES.items():
        if conn.dialect.name == "sqlite":
            for name in sqlite_triggers(table, column):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_counted ON {table}")


def count_all(conn):
    """Add one to every division's count: after rows were written with the triggers off."""
    conn.exec_driver_sql(f"INSERT INTO {TABLE} (division_id, changes) SELECT id, 1 FROM division WHERE true "
                         f"ON CONFLICT (division_id) DO UPDATE SET changes = {TABLE}.changes + 1")


def attach(metadata):
    """Make the triggers whenever ``create_all`` makes the count table (with the tables it counts)."""

    def made(_metadata, conn, tables=(), **_kw):
        if any(table.name == TABLE for table in tables):
            create_triggers(conn)

    sa.event.listen(metadata, "after_create", made)
