"""Where the time of one request goes: pyinstrument over the app in-process.

``python -m bench.profile listing`` (or ``booking``, ``bare``) prints the call
tree of 200 requests on the benchmarks' data, with the CPU time per request
of the endpoint and of the bare one beside it. For a live worker under load,
``py-spy record --pid <worker> --format raw`` (py-spy is in
requirements-bench.txt) shows the same from outside.
"""
import os
import resource
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from booking.timeutil import now_utc

from . import booking, slots


def cpu_ms(call, n):
    before = resource.getrusage(resource.RUSAGE_SELF)
    for i in range(n):
        call(i)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) / n * 1000


def main(what="listing", n=200):
    from pyinstrument import Profiler

    tmp = Path(tempfile.mkdtemp(prefix="priyom-profile-"))
    url = f"sqlite:///{tmp / 'profile.sqlite3'}"
    body = slots.prepare(url)
    booking.prepare(url)
    (tmp / "bare.json").write_bytes(body)
    os.environ.update({"DATABASE_URL": url, "BENCH_BARE_BODY": str(tmp / "bare.json"), "RATELIMIT_ENABLED": "false",
                       "FLASK_RATELIMIT_ENABLED": "false"})
    from .wsgi import create_bench_app

    client = create_bench_app().test_client()
    tomorrow = (now_utc() + timedelta(days=1)).date().isoformat()
    starts = [s["start"] for s in client.get(f"/api/v1/divisions/{booking.BUSY}/slots?from={tomorrow}").get_json()]

    def book(i):
        response = client.post("/api/v1/bookings", json={
            "division": booking.BUSY, "start": starts[i % len(starts)], "name": "Петров Пётр Петрович",
            "email": f"profile{i}@example.ru", "phone": f"+7916{i:07d}", "topic": "heating", "consent": True})
        assert response.status_code == 201, response.get_json()

    calls = {
        "listing": lambda i: client.get(slots.PATH),
        "bare": lambda i: client.get("/_bench/bare"),
        "booking": lambda i: book(i + 10 * n),
    }
    call = calls[what]
    call(0)
    print(f"{what}: {cpu_ms(call, n):.2f} ms CPU per request; bare endpoint {cpu_ms(calls['bare'], n):.2f} ms")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for i in range(n):
        call(n + i)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False))


if __name__ == "__main__":
    main(*sys.argv[1:2])
