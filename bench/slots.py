"""Slot listing: the whole booking window of a busy division under gunicorn.

``GET /api/v1/divisions/{slug}/slots`` (no dates: the 30-day window) against
``/_bench/bare``, which answers a precomputed body of the same size from the
same server, in alternating wrk runs. Target: at least 0.5 of the bare rate.
"""
import json

from booking.core.timeutil import now_utc

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
        answer = client.get(PATH, base_url=harness.PUBLIC_BASE_URL)  # the product refuses other hosts
    assert answer.status_code == 200, (answer.status_code, answer.get_data()[:200])
    return answer.get_data()


def run():
    report = harness.Report("slots", "slot listing (30-day window) vs a bare endpoint, same server")
    with harness.databases() as new_database:
        for backend in harness.backends():
            url = new_database(backend, "slots")
            body = prepare(url)
            with harness.Server(url, bare_body=body) as server:
                status, listed = harness.get(server.port, PATH)
                assert status == 200, status
                # The twin serves the very listing (its slots were read a moment earlier): same size.
                assert abs(len(listed) - len(body)) <= len(body) * 0.02, (len(listed), len(body))
                report.log(f"{backend}: {server.n_workers} {server.worker_class} workers; listing {len(listed)} "
                           f"bytes, {len(json.loads(listed))} slots; bare body {len(body)} bytes")
                for path in (PATH, "/_bench/bare"):  # warm every worker
                    harness.wrk(server.base_url + path, duration=1)
                results = harness.alternate({
                    "bare": lambda: harness.wrk(server.base_url + "/_bench/bare"),
                    "slots": lambda: harness.wrk(server.base_url + PATH),
                })
            add_figures(report, backend, results)
    return report


def add_figures(report, backend, results):
    slots, bare = results["slots"], results["bare"]
    errors = sum(r.errors for r in slots + bare)
    report.add(f"{backend}: slot listing", harness.spread(r.rps for r in slots), "req/s",
               baseline=harness.spread(r.rps for r in bare), baseline_name="bare endpoint",
               ratio=harness.spread(s.rps / b.rps for s, b in zip(slots, bare)), target=(">=", 0.5),
               note=f"errors {errors}")
    for name, attr in (("p50", "p50_ms"), ("p99", "p99_ms")):
        report.add(f"{backend}: slot listing {name} latency", harness.spread(getattr(r, attr) for r in slots), "ms",
                   baseline=harness.spread(getattr(r, attr) for r in bare), baseline_name="bare",
                   ratio=harness.spread(getattr(s, attr) / getattr(b, attr) for s, b in zip(slots, bare)))


if __name__ == "__main__":
    harness.main(run)
