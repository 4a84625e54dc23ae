"""Fast bulk loading of past bookings, and a realistic present.

History goes straight into the ``booking`` table, bypassing the ORM:
``executemany`` in one transaction on SQLite, ``COPY`` on PostgreSQL, so a
million rows take seconds. Rows look like a city's real history: every
reception slot (weekdays 09:00–18:00 local, 20 minutes) of the divisions
booked, going back from yesterday, mostly attended, some no-shows and
cancellations, citizens who come back. The present (bookings ahead) is made
through the product's own service, as citizens would.
"""
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock

import sqlalchemy as sa

from booking import change_counts
from booking.models import Booking, BookingStatus, Topic
from booking.bookings import CODE_ALPHABET

# Columns that differ from row to row, in the order ``past_rows`` yields them.
VARYING = ("code", "division_id", "start_utc", "end_utc", "status", "phone", "email", "topic", "created_at",
           "cancelled_at", "cancelled_by")
# The rest: one value for all rows, written into the statement rather than bound a million times.
FIXED = {
    "place_no": 1, "full_name": "Иванов Иван Иванович", "account": "", "address": "",
    "message": "Холодные батареи в квартире", "locale": "ru", "manage_token_hash": "0" * 64, "sequence": 0,
    "channel": "web", "created_by_id": None, "staff_note": "", "purged_at": None,
    "consent_version": "", "api_client_id": None, "client_ref": "",
}
# Columns filled from a varying one: consent is given, and the row last changed, when it was made.
SAME_AS = {"consent_at": "created_at", "updated_at": "created_at"}
PEOPLE = 400_000  # distinct citizens in the history; most come more than once
SLOT_MINUTES = 20


def _check_columns():
    table = {c.name for c in Booking.__table__.columns} - {"id"}
    known = set(VARYING) | set(FIXED) | set(SAME_AS)
    missing, unknown = table - known, known - table
    if missing or unknown:
        raise RuntimeError(f"bench loader out of date with the booking table: missing {sorted(missing)}, "
                           f"unknown {sorted(unknown)}")


# The product's alphabet in byte order, so codes grow with the row number: the unique
# index on ``code`` is then appended to, not scattered into.
_SORTED_ALPHABET = "".join(sorted(CODE_ALPHABET))
_TRIPLES = [a + b + c for a in _SORTED_ALPHABET for b in _SORTED_ALPHABET for c in _SORTED_ALPHABET]
# Loaded codes start here; the product's random codes may meet one and simply draw again.
_BASE = len(_SORTED_ALPHABET)
_FIRST_CODE = _BASE ** 6 // 7


def _code(i):
    high, low = divmod(_FIRST_CODE + i, _BASE ** 3)
    return f"{_TRIPLES[high]}-{_TRIPLES[low]}"


def past_slots(count, until_day, tz):
    """``count`` reception slots (start, end as aware UTC) before ``until_day``, latest first."""
    slots, day = [], until_day
    per_day = (18 - 9) * 60 // SLOT_MINUTES
    while len(slots) < count:
        day -= timedelta(days=1)
        if day.weekday() > 4:
            continue
        opening = datetime.combine(day, clock(9), tzinfo=tz)
        for k in reversed(range(per_day)):
            start = (opening + timedelta(minutes=k * SLOT_MINUTES)).astimezone(timezone.utc)
            slots.append((start, start + timedelta(minutes=SLOT_MINUTES)))
    return slots[:count]


def _sqlite_text(dt):
    # The form SQLAlchemy's SQLite DateTime stores: naive UTC, microseconds.
    return dt.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _pg_text(dt):
    return dt.strftime("%Y-%m-%d %H:%M:%S+00")


def past_rows(count, division_ids, until_day, tz, fmt, first=0):
    """``VARYING`` tuples of bookings ``first``..``first+count-1``, spread over the divisions."""
    n_div = len(division_ids)
    slots = past_slots((first + count) // n_div + 1, until_day, tz)
    times = [(fmt(s), fmt(e), fmt(s - timedelta(days=3)), fmt(s - timedelta(days=1))) for s, e in slots]
    topics = tuple(Topic)
    attended, no_show, cancelled = BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED
    for i in range(first, first + count):
        k, d = divmod(i, n_div)
        start, end, made, cancelled_at = times[k]
        person = (i * 7919) % PEOPLE
        code = _code(i)
        if i % 20 == 7:
            yield (code, division_ids[d], start, end, cancelled, f"+7916{person:07d}", f"citizen{person}@example.ru",
                   topics[i % 5], made, cancelled_at, "citizen")
        else:
            yield (code, division_ids[d], start, end, no_show if i % 10 == 3 else attended, f"+7916{person:07d}",
                   f"citizen{person}@example.ru", topics[i % 5], made, None, "")


def load_past_bookings(url, count, division_ids, until_day, tz, first=0):
    """Insert ``count`` past bookings into the database at SQLAlchemy ``url``; returns seconds per phase.

    The booking table's indexes are dropped for the load and built again after
    it from the models' own definitions: one sort per index instead of a
    million scattered inserts.
    """
    _check_columns()
    phases = {}
    started = time.perf_counter()
    engine = sa.create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    indexes = list(Booking.__table__.indexes)
    try:
        with engine.begin() as conn:
            for index in indexes:
                conn.execute(sa.schema.DropIndex(index, if_exists=True))
            # A trigger per row would count a million changes one by one: counted once after the load.
            change_counts.drop_triggers(conn)
        if sqlite:
            _load_sqlite(engine.url.database, past_rows(count, division_ids, until_day, tz, _sqlite_text, first))
        else:
            _load_postgresql(engine, past_rows(count, division_ids, until_day, tz, _pg_text, first))
        phases["insert"] = time.perf_counter() - started
        with engine.begin() as conn:
            # Enough memory to sort each index in one go.
            if sqlite:
                conn.exec_driver_sql("PRAGMA cache_size = -524288")
                conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
            else:
                conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            for index in indexes:
                conn.execute(sa.schema.CreateIndex(index))
            change_counts.create_triggers(conn)
            change_counts.count_all(conn)
        phases["indexes"] = time.perf_counter() - started - phases["insert"]
        if not sqlite:
            # What autovacuum does shortly after a bulk load in production.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE booking")
            phases["analyze"] = time.perf_counter() - started - phases["insert"] - phases["indexes"]
    finally:
        engine.dispose()
    phases["total"] = time.perf_counter() - started
    return phases


def _sql_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def _load_sqlite(path, rows):
    columns = [*VARYING, *FIXED, *SAME_AS]
    values = ([f"?{n}" for n in range(1, len(VARYING) + 1)] + [_sql_literal(v) for v in FIXED.values()]
              + [f"?{VARYING.index(source) + 1}" for source in SAME_AS.values()])
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA cache_size = -262144")
        con.execute("BEGIN")
        con.executemany(f"INSERT INTO booking ({', '.join(columns)}) VALUES ({', '.join(values)})", rows)
        con.execute("COMMIT")
    finally:
        con.close()


def _load_postgresql(engine, rows):
    columns = [*VARYING, *FIXED, *SAME_AS]
    fixed = tuple(FIXED.values())
    made = VARYING.index("created_at")
    with engine.begin() as conn:
        # The rows name existing divisions: skip the per-row foreign-key triggers, as pg_restore does.
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY booking ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + fixed + (row[made], row[made]))


def check_loaded(app, count, division_ids, until_day, tz):
    """The ORM reads back what the loader wrote: same values, same count."""
    from booking.extensions import db

    first_row = dict(zip(VARYING, next(past_rows(1, division_ids, until_day, tz, lambda dt: dt))))
    with app.app_context():
        stored = db.session.scalar(sa.select(Booking).where(Booking.code == first_row["code"]))
        for name in (*VARYING, *FIXED):
            assert getattr(stored, name) == first_row.get(name, FIXED.get(name)), name
        assert stored.consent_at == stored.updated_at == stored.created_at
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Booking)
                                  .where(Booking.start_utc < first_row["end_utc"]))
        assert total >= count, (total, count)


def add_present_bookings(app, division_id, now, every=3):
    """Book one place in every ``every``-th free slot of the window through the product's service."""
    from booking import bookings as booking_ops
    from booking.extensions import db
    from booking.models import Division
    from booking.notify.settings import mailroom_of

    made = 0
    with app.app_context():
        division = db.session.get(Division, division_id)
        policy = booking_ops.Policy.from_config(app.config)
        for n, view in enumerate(booking_ops.slot_views(division, now, policy)):
            if n % every:
                continue
            details = booking_ops.CitizenDetails(full_name="Петров Пётр Петрович", phone=f"+7925{n:07d}",
                                              email=f"present{n}@example.ru", topic=Topic.HEATING)
            booking_ops.create_booking(division, view.start_dt, details, now, policy, mailroom_of(app))
            made += 1
        db.session.commit()
    return made
