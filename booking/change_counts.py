"""A count per division of the changes to its bookings, kept by the database itself.

Every INSERT, UPDATE or DELETE of a booking row adds one to its division's
count (table ``booking_change_count``) in the same transaction, through
triggers: whoever writes (the site, staff pages, the API, a command, plain SQL)
is counted. On PostgreSQL the trigger is deferred to the commit, so two
bookings in one division hold the count's row only while they commit.

Two reads that see the same count for a division see the same bookings of that
division: what is derived from them (the places held in each slot) can be kept
under the count, and one lookup by key replaces the grouped count over the
bookings (:mod:`booking.bookings.availability`). A division without a row has
never had a booking written since the triggers exist.

The triggers are made with the booking table (``create_all``, for the tests)
and by the migration ``65cf53887470``.
"""
import sqlalchemy as sa

TABLE = "booking_change_count"

_SQLITE_BUMP = (f"INSERT INTO {TABLE} (division_id, changes) VALUES ({{row}}.division_id, 1) "
                f"ON CONFLICT (division_id) DO UPDATE SET changes = changes + 1;")

SQLITE_TRIGGERS = {
    "booking_counted_insert": f"CREATE TRIGGER booking_counted_insert AFTER INSERT ON booking BEGIN "
                              f"{_SQLITE_BUMP.format(row='NEW')} END",
    "booking_counted_delete": f"CREATE TRIGGER booking_counted_delete AFTER DELETE ON booking BEGIN "
                              f"{_SQLITE_BUMP.format(row='OLD')} END",
    # A booking moved to another division (never done, but possible in SQL) changes both.
    "booking_counted_update": f"CREATE TRIGGER booking_counted_update AFTER UPDATE ON booking BEGIN "
                              f"{_SQLITE_BUMP.format(row='NEW')} "
                              f"INSERT INTO {TABLE} (division_id, changes) SELECT OLD.division_id, 1 "
                              f"WHERE OLD.division_id IS NOT NEW.division_id "
                              f"ON CONFLICT (division_id) DO UPDATE SET changes = changes + 1; END",
}

POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION booking_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO {TABLE} (division_id, changes) VALUES (NEW.division_id, 1)
      ON CONFLICT (division_id) DO UPDATE SET changes = {TABLE}.changes + 1;
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.division_id IS DISTINCT FROM NEW.division_id) THEN
    INSERT INTO {TABLE} (division_id, changes) VALUES (OLD.division_id, 1)
      ON CONFLICT (division_id) DO UPDATE SET changes = {TABLE}.changes + 1;
  END IF;
  RETURN NULL;
END $$
"""
POSTGRESQL_TRIGGER = ("CREATE CONSTRAINT TRIGGER booking_counted AFTER INSERT OR UPDATE OR DELETE ON booking "
                      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION booking_counted()")


def create_triggers(conn):
    """Make the triggers on ``conn``'s database (the booking table and the count table exist)."""
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(POSTGRESQL_FUNCTION)
        conn.exec_driver_sql(POSTGRESQL_TRIGGER)


def drop_triggers(conn):
    """Remove the triggers (a bulk load does, then :func:`create_triggers` and :func:`count_all`)."""
    if conn.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS booking_counted ON booking")


def count_all(conn):
    """Add one to every division's count: after bookings were written with the triggers off."""
    conn.exec_driver_sql(f"INSERT INTO {TABLE} (division_id, changes) SELECT id, 1 FROM division WHERE true "
                         f"ON CONFLICT (division_id) DO UPDATE SET changes = {TABLE}.changes + 1")


def attach(booking_table):
    """Make the triggers whenever ``create_all`` makes the booking table."""
    sa.event.listen(booking_table, "after_create", lambda _table, conn, **_kw: create_triggers(conn))
