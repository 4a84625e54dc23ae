"""Slot listing: the whole booking window of a busy division under gunicorn.

``GET /api/v1/divisions/{slug}/slots`` (no dates: the 30-day window) against
``/_bench/bare``, which answers a precomputed body of the same size from the
same server, in alternating wrk runs. Target: at least 0.5 of the bare rate.
"""
import json

from booking.timeutil import now_utc

from . import harness, loader

SLUG = "bench-busy"
PATH = f"/api/v1/divisions/{SLUG}/slots"


def prepare(url):
    """A division receiving every weekday 09:00–18:00 in 20-minute slots, a third of them booked."""
    app = harness.product_app(url)
    harness.create_schema(app)
    division_id = harness.add_division(app, SLUG, places=2)
    loader.add_present_bookings(app, division_id, now_utc())
    with app.test_client() as client:
        body = client.get(PATH).get_data()
    return body


def run():
    report = harness.Report("slots", "slot listing (30-day window) vs a bare endpoint, same server")
    with harness.databases(["sqlite"]) as new_database:
        url = new_database("sqlite", "slots")
        body = prepare(url)
        with harness.Server(url, bare_body=body) as server:
            status, listed = harness.get(server.port, PATH)
            assert status == 200, status
            report.log(f"{server.n_workers} {server.worker_class} workers; listing {len(listed)} bytes, "
                       f"{len(json.loads(listed))} slots; bare body {len(body)} bytes")
            for path in (PATH, "/_bench/bare"):  # warm every worker
                harness.wrk(server.base_url + path, duration=1)
            results = harness.alternate({
                "bare": lambda: harness.wrk(server.base_url + "/_bench/bare"),
                "slots": lambda: harness.wrk(server.base_url + PATH),
            })
    ratios = [s.rps / b.rps for s, b in zip(results["slots"], results["bare"])]
    errors = sum(r.errors for rs in results.values() for r in rs)
    report.add("slot listing", harness.spread(r.rps for r in results["slots"]), "req/s",
               baseline=harness.spread(r.rps for r in results["bare"]), baseline_name="bare endpoint",
               ratio=harness.spread(ratios), target=(">=", 0.5), note=f"errors {errors}")
    report.add("slot listing p50 latency", harness.spread(r.p50_ms for r in results["slots"]), "ms",
               baseline=harness.spread(r.p50_ms for r in results["bare"]), baseline_name="bare",
               ratio=harness.spread(s.p50_ms / b.p50_ms for s, b in zip(results["slots"], results["bare"])))
    report.add("slot listing p99 latency", harness.spread(r.p99_ms for r in results["slots"]), "ms",
               baseline=harness.spread(r.p99_ms for r in results["bare"]), baseline_name="bare",
               ratio=harness.spread(s.p99_ms / b.p99_ms for s, b in zip(results["slots"], results["bare"])))
    return report


if __name__ == "__main__":
    harness.main(run)
