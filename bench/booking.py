"""Booking under load, on SQLite and PostgreSQL, and the memory it leaves behind.

* Many clients booking distinct slots of a division with plenty of room:
  successful bookings per second against ``/_bench/write`` (parse the same
  JSON, insert one row, commit) in alternating bursts of the same size.
* Everyone on the same slot: the time until every request is answered against
  the same number of requests spread over distinct slots; exactly the slot's
  places are booked, everybody else gets 409, nobody a 5xx.
* Memory: the peak resident set of a gunicorn worker after all that, against
  the same worker just after start-up.
"""
import json
from datetime import timedelta

from booking.core.timeutil import now_utc

from . import harness

BUSY = "bench-book"
CONTENDED = "bench-same-slot"
CONTENDED_PLACES = 5
# The API key of the benchmark's client: only known clients book through the API.
API_KEY = "pk_" + "bench" * 9


def prepare(url):
    app = harness.product_app(url)
    harness.create_schema(app)
    # Every day 08:00–20:00 in 5-minute slots of 10 places: room for every burst without collisions.
    harness.add_division(app, BUSY, weekdays=range(7), start="08:00", end="20:00", slot_minutes=5, places=10)
    harness.add_division(app, CONTENDED, weekdays=range(7), start="10:00", end="13:00", places=CONTENDED_PLACES)
    add_api_client(app)


def add_api_client(app):
    """The client whose key (:data:`API_KEY`) the benchmark books with."""
    from booking.accounts.api_clients import hash_key
    from booking.extensions import db
    from booking.models import ApiClient

    with app.app_context():
        db.session.add(ApiClient(name="Benchmark", key_hash=hash_key(API_KEY), key_prefix=API_KEY[:8]))
        db.session.commit()


def free_starts(server, slug):
    """Starts of the free slots of ``slug`` from tomorrow on (well clear of the minimum notice)."""
    tomorrow = (now_utc() + timedelta(days=1)).date().isoformat()
    status, body = harness.get(server.port, f"/api/v1/divisions/{slug}/slots?from={tomorrow}")
    assert status == 200, (status, body[:200])
    return [slot["start"] for slot in json.loads(body)]


def booking_request(slug, start, n, path="/api/v1/bookings"):
    return harness.http_request("POST", path, {
        "division": slug, "start": start, "name": "Петров Пётр Петрович", "email": f"citizen{n}@example.ru",
        "phone": f"+7916{n:07d}", "topic": "heating", "consent": True}, headers={"X-API-Key": API_KEY})


def run():
    report = harness.Report("booking", "bookings/s (distinct slots, one slot for all), worker memory")
    n_requests = harness.setting("BOOKINGS", 400)
    concurrency = harness.setting("CLIENTS", 32)
    contenders = harness.setting("CONTENDERS", 100)
    serial = iter(range(1, 10_000_000))
    with harness.databases() as new_database:
        for backend in harness.backends():
            url = new_database(backend, "booking")
            prepare(url)
            with harness.Server(url) as server:
                harness.wrk(server.base_url + "/_bench/bare", duration=1)  # every worker has served
                at_start = server.memory_kib()
                starts = free_starts(server, BUSY)
                same_slot = free_starts(server, CONTENDED)
                assert len(starts) >= n_requests + contenders, len(starts)
                report.log(f"{backend}: {server.n_workers} workers, {concurrency} clients, "
                           f"{n_requests} requests a burst, {len(starts)} free slots")

                def bookings():
                    # Each burst takes the next free place of the same slots: no two requests collide.
                    return harness.burst(server.port, [booking_request(BUSY, s, next(serial))
                                                       for s in starts[:n_requests]], concurrency)

                def writes():
                    return harness.burst(server.port, [booking_request(BUSY, s, next(serial), "/_bench/write")
                                                       for s in starts[:n_requests]], concurrency)

                results = harness.alternate({"write": writes, "book": bookings})
                booked = [r.statuses[201] / r.seconds for r in results["book"]]
                written = [r.statuses[201] / r.seconds for r in results["write"]]
                other = sum(sum(n for s, n in r.statuses.items() if s != 201) for r in results["book"])
                report.add(f"{backend}: bookings, distinct slots", harness.spread(booked), "bookings/s",
                           baseline=harness.spread(written), baseline_name="bare insert+commit",
                           ratio=harness.spread(b / w for b, w in zip(booked, written)),
                           note=f"non-201 answers {other}")
                report.add(f"{backend}: booking latency p50", harness.spread(r.p50_ms for r in results["book"]),
                           "ms", baseline=harness.spread(r.p50_ms for r in results["write"]),
                           baseline_name="bare insert+commit",
                           note="p99 " + harness.fmt(harness.spread(r.p99_ms for r in results["book"])) + " ms")

                settle, spread_out, fives, wrong = [], [], 0, []
                rounds = harness.rounds()
                for r in range(rounds):
                    slot = same_slot[r]
                    contended = harness.burst(server.port, [booking_request(CONTENDED, slot, next(serial))
                                                            for _ in range(contenders)], contenders)
                    distinct = harness.burst(server.port, [booking_request(BUSY, s, next(serial))
                                                           for s in starts[n_requests:n_requests + contenders]],
                                             contenders)
                    settle.append(contended.seconds)
                    spread_out.append(distinct.seconds)
                    fives += contended.errors + distinct.errors
                    if (contended.statuses[201], contended.statuses[409]) != (CONTENDED_PLACES,
                                                                             contenders - CONTENDED_PLACES):
                        wrong.append(dict(contended.statuses))
                report.add(f"{backend}: {contenders} clients on one slot, time to settle",
                           harness.spread(s * 1000 for s in settle), "ms",
                           baseline=harness.spread(s * 1000 for s in spread_out),
                           baseline_name=f"{contenders} on distinct slots",
                           ratio=harness.spread(a / b for a, b in zip(settle, spread_out)),
                           note=f"{CONTENDED_PLACES} booked + {contenders - CONTENDED_PLACES} × 409 each time"
                           if not wrong else f"UNEXPECTED answers {wrong}")
                report.add(f"{backend}: 5xx and socket errors", fives, "",
                           target=("==", 0), must=True, note=f"{server.errors_logged()} tracebacks logged")

                after = server.memory_kib()
                peak = max(hwm for _rss, hwm in after.values())
                start_rss = max(rss for rss, _hwm in at_start.values())
                report.add(f"{backend}: worker peak RSS after booking", peak / 1024, "MiB",
                           baseline=start_rss / 1024, baseline_name="worker after start-up",
                           ratio=peak / start_rss, note=f"max over {len(after)} workers")
    return report


if __name__ == "__main__":
    harness.main(run)
