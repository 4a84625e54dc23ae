"""History does not slow the present: 10,000 against 1,000,000 past bookings.

Two databases built the same way (50 divisions, the measured one a third
booked for the coming month) differ only in their past: ``BENCH_HISTORY``
(default 1,000,000) bookings against a hundredth of that, spread over every
division's reception slots going back from yesterday. Measured alternately on
both: the slot listing under gunicorn (wrk), the division head's agenda feed
(full renders one at a time, under the same gunicorn) and a division's agenda
for one day (``booking_ops.bookings_for_day``, in-process). Target: the big history at
most 1.5 times slower.
"""
import time

import sqlalchemy as sa

from booking import bookings as booking_ops
from booking.feeds import service as feed_service
from booking.extensions import db
from booking.models import Booking, Division
from booking.core.timeutil import now_utc

from . import feeds, harness, loader

SLUG = "bench-busy"
PATH = f"/api/v1/divisions/{SLUG}/slots"
DIVISIONS = 50


def prepare(url, past, now):
    """Schema, divisions, the present and ``past`` past bookings; returns (app, load phases, agenda day, feed token)."""
    app = harness.product_app(url)
    harness.create_schema(app)
    ids = [harness.add_division(app, SLUG, places=2)]
    ids += [harness.add_division(app, f"bench-other-{n}") for n in range(1, DIVISIONS)]
    tz = booking_ops.Policy.from_config(app.config).tz
    today = now.astimezone(tz).date()
    with app.app_context():
        db.engine.dispose()  # the loader works on its own connection
    phases = loader.load_past_bookings(url, past, ids, today, tz)
    loader.check_loaded(app, past, ids, today, tz)
    # After the past: the product draws codes that the loaded ones do not already hold.
    loader.add_present_bookings(app, ids[0], now)
    with app.app_context():
        # The agenda measured: the first day ahead with bookings.
        first = db.session.scalar(sa.select(sa.func.min(Booking.start_utc))
                                  .where(Booking.division_id == ids[0], Booking.start_utc > now))
        token = feed_service.rotate_feed_token(db.session.get(Division, ids[0]), now,
                                               feed_service.FeedSettings.from_config(app.config))
        db.session.commit()
    return app, phases, first.astimezone(tz).date(), token


def _n(count):
    return f"{count:,}".replace(",", " ")


def agenda_timer(app, day, calls=200):
    """Seconds per ``bookings_for_day`` call, each in a fresh session as a request would be."""
    def measure():
        with app.app_context():
            division = db.session.scalar(db.select(Division).where(Division.slug == SLUG))
            tz = booking_ops.Policy.from_config(app.config).tz
            division_id = division.id
            assert booking_ops.bookings_for_day(division, day, tz)
            db.session.remove()
            started = time.perf_counter()
            for _ in range(calls):
                division = db.session.get(Division, division_id)
                booking_ops.bookings_for_day(division, day, tz)
                db.session.remove()
            return (time.perf_counter() - started) / calls
    return measure


def run():
    report = harness.Report("history", "present work with 10,000 vs 1,000,000 past bookings")
    big = harness.setting("HISTORY", 1_000_000)
    small = max(big // 100, 1000)
    now = now_utc()
    with harness.databases() as new_database:
        for backend in harness.backends():
            small_app, small_phases, day, small_token = prepare(new_database(backend, "small"), small, now)
            big_app, big_phases, _, big_token = prepare(new_database(backend, "big"), big, now)
            steps = ", ".join(f"{step} {secs:.1f} s" for step, secs in big_phases.items() if step != "total")
            report.add(f"{backend}: bulk load of {_n(big)} past bookings", big_phases["total"], "s",
                       note=f"{steps}; {_n(round(big / big_phases['total']))} rows/s")
            small_url = small_app.config["SQLALCHEMY_DATABASE_URI"]
            big_url = big_app.config["SQLALCHEMY_DATABASE_URI"]
            # One week of past in the feed: the small history (200 past slots a division) covers it too,
            # so both feeds list the same appointments.
            feed_env = {"FEED_PAST_WEEKS": "1"}
            with harness.Server(small_url, env=feed_env) as small_srv, harness.Server(big_url, env=feed_env) as big_srv:
                for server in (small_srv, big_srv):
                    # A first answer (cold caches after the load may take seconds), then every worker warm.
                    status, _body = harness.get(server.port, PATH, timeout=60)
                    assert status == 200, f"{PATH} answered {status} after the load"
                    harness.wrk(server.base_url + PATH, duration=2)
                listing = harness.alternate({
                    "small": lambda: harness.wrk(small_srv.base_url + PATH),
                    "big": lambda: harness.wrk(big_srv.base_url + PATH),
                })
                small_feed, big_feed = f"/feeds/agenda/{small_token}.ics", f"/feeds/agenda/{big_token}.ics"
                feed = harness.alternate({
                    "small": lambda path=small_feed: feeds.full_get_timer(small_srv.port, path, calls=3),
                    "big": lambda path=big_feed: feeds.full_get_timer(big_srv.port, path, calls=3),
                })
                sizes = [len(harness.get(srv.port, path, timeout=300)[1]) for srv, path in
                         ((small_srv, small_feed), (big_srv, big_feed))]
            report.add(f"{backend}: slot listing, {_n(big)} past",
                       harness.spread(r.rps for r in listing["big"]), "req/s",
                       baseline=harness.spread(r.rps for r in listing["small"]),
                       baseline_name=f"{_n(small)} past",
                       ratio=harness.spread(s.rps / b.rps for s, b in zip(listing["small"], listing["big"])),
                       target=("<=", 1.5), note="ratio = how many times slower")
            report.add(f"{backend}: head's agenda feed, {_n(big)} past",
                       harness.spread(t * 1000 for t in feed["big"]), "ms/request",
                       baseline=harness.spread(t * 1000 for t in feed["small"]), baseline_name=f"{_n(small)} past",
                       ratio=harness.spread(b / s for s, b in zip(feed["small"], feed["big"])),
                       target=("<=", 1.5), note=f"full render, one at a time; {sizes[1] / 1000:.0f} kB "
                                                f"(small history: {sizes[0] / 1000:.0f} kB)")
            agenda = harness.alternate({"small": agenda_timer(small_app, day), "big": agenda_timer(big_app, day)})
            report.add(f"{backend}: a day's agenda, {_n(big)} past",
                       harness.spread(t * 1000 for t in agenda["big"]), "ms",
                       baseline=harness.spread(t * 1000 for t in agenda["small"]),
                       baseline_name=f"{_n(small)} past",
                       ratio=harness.spread(b / s for s, b in zip(agenda["small"], agenda["big"])),
                       target=("<=", 1.5), note=f"bookings_for_day({day}), in-process")
            for app in (small_app, big_app):
                with app.app_context():
                    db.engine.dispose()
    return report


if __name__ == "__main__":
    harness.main(run)
