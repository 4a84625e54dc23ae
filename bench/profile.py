"""Where the time of a request goes, on the benchmarks' data.

``python -m bench.profile listing`` (or ``booking``, ``bare``): pyinstrument's
call tree of 200 requests in-process, with the CPU time per request of the
endpoint and of the bare one beside it.

``python -m bench.profile live [sqlite|postgresql]``: py-spy samples one
gunicorn worker while wrk loads the listing, and prints the share of samples
in which each function is on the stack (gunicorn's socket writes included,
which an in-process profile cannot see).
"""
import atexit
import collections
import os
import shutil
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from booking.core.timeutil import now_utc

from . import booking, harness, slots


def cpu_ms(call, n):
    before = resource.getrusage(resource.RUSAGE_SELF)
    for i in range(n):
        call(i)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) / n * 1000


def main(what="listing", n=200):
    from pyinstrument import Profiler

    tmp = Path(tempfile.mkdtemp(prefix="priyom-profile-"))
    atexit.register(shutil.rmtree, tmp, True)
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
        response = client.post("/api/v1/bookings", headers={"X-API-Key": booking.API_KEY}, json={
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


def live(backend="sqlite", seconds=8):
    """py-spy over one gunicorn worker serving the listing under wrk."""
    with harness.databases([backend]) as new_database, tempfile.TemporaryDirectory() as tmp:
        url = new_database(backend, "profile")
        body = slots.prepare(url)
        out = Path(tmp) / "samples.txt"
        with harness.Server(url, n_workers=1, bare_body=body) as server:
            spy = subprocess.Popen([str(harness.BIN / "py-spy"), "record", "--pid", str(server.worker_pids()[0]),
                                    "--duration", str(seconds), "--format", "raw", "--output", str(out),
                                    "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
            load = harness.wrk(server.base_url + slots.PATH, duration=seconds, connections=2)
            spy.wait()
        samples = out.read_text().splitlines()
    total, on_stack = 0, collections.Counter()
    for line in samples:
        stack, count = line.rsplit(" ", 1)
        total += int(count)
        for name in {frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1].split(":")[0] if "(" in frame
                     else frame for frame in stack.split(";")}:
            on_stack[name] += int(count)
    print(f"{backend}: {load.rps:.0f} req/s from one worker; {total} samples")
    for name, count in on_stack.most_common(40):
        print(f"{count / total * 100:5.1f}%  {name}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["live"]:
        live(*sys.argv[2:3])
    else:
        main(*sys.argv[1:2])
