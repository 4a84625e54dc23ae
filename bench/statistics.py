"""The quarter's statistics do not grow with the whole history: 10,000 against 1,000,000 past bookings.

Two databases built like ``history.py`` (50 divisions; ``BENCH_HISTORY``,
default 1,000,000, past bookings against a hundredth of that). Every attended
booking gets a reception card (a written answer promised for one in three,
and sent for most of those), made in one INSERT … SELECT. Measured in-process,
alternately on both: the report of the last 91 days for all divisions, and for
one division. Only a quarter of the history lies in the period with a million
bookings; with ten thousand, all of it does, so the ratio shows how far the
cost follows the period's rows rather than the table's size.
"""
import time
from datetime import timedelta

import sqlalchemy as sa

from booking.appeals import statistics
from booking.appeals.cards import AppealSettings
from booking.core.timeutil import now_utc
from booking.extensions import db
from booking.models import Booking, Division

from . import harness, loader

DIVISIONS = 50
CARDS_SQL = """
INSERT INTO reception_card (booking_id, division_id, visit_day, raised, topic, outcome, due_date, referred_to,
                            explanation, result, created_at, updated_at, closed_at)
SELECT id, division_id, {day}, '', topic,
       CASE WHEN id % 3 = 0 THEN 'written_due' WHEN id % 3 = 1 THEN 'oral' ELSE 'referred' END,
       CASE WHEN id % 3 = 0 THEN {day} + {due} END, '', '',
       CASE WHEN id % 3 = 0 AND id % 9 = 0 THEN NULL ELSE 'explained' END,
       start_utc, start_utc, CASE WHEN id % 3 = 0 AND id % 9 = 0 THEN NULL ELSE start_utc END
FROM booking WHERE status = 'attended'
"""
ANSWERS_SQL = """
INSERT INTO written_answer (card_id, sent_on, outgoing_number, summary, by_post, recorded_at)
SELECT id, visit_day + {sent}, '', '', {false}, created_at
FROM reception_card WHERE outcome = 'written_due' AND closed_at IS NOT NULL
"""


def _add_cards(app):
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        day = "date(start_utc)"
        due = "14"
        started = time.perf_counter()
        with db.engine.begin() as conn:
            if postgresql:
                # psycopg reads % as a placeholder: doubled, it is the modulo operator.
                conn.exec_driver_sql(CARDS_SQL.format(day=day, due=due).replace("%", "%%"))
                conn.exec_driver_sql(ANSWERS_SQL.format(sent="(id %% 20)", false="false"))
                conn.exec_driver_sql("ANALYZE reception_card")
                conn.exec_driver_sql("ANALYZE written_answer")
            else:
                conn.exec_driver_sql(CARDS_SQL.replace("{day} + {due}", "date(start_utc, '+14 days')")
                                     .format(day=day))
                conn.exec_driver_sql(ANSWERS_SQL.replace("visit_day + {sent}",
                                                         "date(visit_day, '+' || (id % 20) || ' days')")
                                     .format(false="0"))
                conn.exec_driver_sql("ANALYZE")
        cards = db.session.scalar(sa.text("SELECT count(*) FROM reception_card"))
        db.session.remove()
        return cards, time.perf_counter() - started


def prepare(url, past, now):
    app = harness.product_app(url)
    harness.create_schema(app)
    ids = [harness.add_division(app, f"bench-stat-{n}") for n in range(DIVISIONS)]
    settings = AppealSettings.from_config(app.config)
    today = now.astimezone(settings.tz).date()
    with app.app_context():
        db.engine.dispose()
    phases = loader.load_past_bookings(url, past, ids, today, settings.tz)
    cards, seconds = _add_cards(app)
    phases["cards"] = seconds
    return app, phases, cards


def report_timer(app, now, one_division, calls=5):
    """Seconds per quarter's report, each in a fresh session as a request would be."""
    def measure():
        with app.app_context():
            settings = AppealSettings.from_config(app.config)
            today = now.astimezone(settings.tz).date()
            first, last = today - timedelta(days=91), today - timedelta(days=1)
            slug = "bench-stat-0" if one_division else None
            division = db.session.scalar(sa.select(Division).where(Division.slug == slug)) if slug else None
            statistics.report(first, last, division, now, settings)  # warm
            db.session.remove()
            started = time.perf_counter()
            for _ in range(calls):
                division = db.session.scalar(sa.select(Division).where(Division.slug == slug)) if slug else None
                statistics.report(first, last, division, now, settings)
                db.session.remove()
            return (time.perf_counter() - started) / calls
    return measure


def _n(count):
    return f"{count:,}".replace(",", " ")


def _in_period(app, now):
    with app.app_context():
        tz = AppealSettings.from_config(app.config).tz
        first = now.astimezone(tz).date() - timedelta(days=91)
        start = now - (now.astimezone(tz).date() - first) - timedelta(days=1)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.start_utc >= start))
        db.session.remove()
        return count


def run():
    report = harness.Report("statistics", "the quarter's report with 10,000 vs 1,000,000 past bookings")
    big = harness.setting("HISTORY", 1_000_000)
    small = max(big // 100, 1000)
    now = now_utc()
    with harness.databases() as new_database:
        for backend in harness.backends():
            small_app, _small_phases, small_cards = prepare(new_database(backend, "small"), small, now)
            big_app, big_phases, big_cards = prepare(new_database(backend, "big"), big, now)
            report.log(f"{backend}: {_n(big)} past bookings loaded in {big_phases['total']:.1f} s, "
                       f"{_n(big_cards)} cards in {big_phases['cards']:.1f} s; small: {_n(small_cards)} cards")
            rows = {"small": _in_period(small_app, now), "big": _in_period(big_app, now)}
            for one, label in ((False, "all 50 divisions"), (True, "one division")):
                times = harness.alternate({"small": report_timer(small_app, now, one),
                                           "big": report_timer(big_app, now, one)})
                report.add(f"{backend}: quarter's report, {label}, {_n(big)} past",
                           harness.spread(t * 1000 for t in times["big"]), "ms",
                           baseline=harness.spread(t * 1000 for t in times["small"]),
                           baseline_name=f"{_n(small)} past",
                           ratio=harness.spread(b / s for s, b in zip(times["small"], times["big"])),
                           note=f"ratio = how many times slower; bookings in the quarter: {_n(rows['big'])} "
                                f"vs {_n(rows['small'])}")
                # The same, per booking of the quarter: what the size of the history itself costs.
                scale = rows["big"] / rows["small"]
                report.add(f"{backend}: the same per booking of the quarter",
                           harness.spread(t * 1e6 / rows["big"] for t in times["big"]), "µs/booking",
                           baseline=harness.spread(t * 1e6 / rows["small"] for t in times["small"]),
                           baseline_name=f"{_n(small)} past",
                           ratio=harness.spread(b / s / scale for s, b in zip(times["small"], times["big"])),
                           target=("<=", 2), note="ratio = how many times slower per booking in the period")
            for app in (small_app, big_app):
                with app.app_context():
                    db.engine.dispose()
    return report


if __name__ == "__main__":
    harness.main(run)
