"""Where the time of a request goes, on the benchmarks' data.

``python -m bench.profile listing`` (or ``booking``, ``bare``): pyinstrument's
call tree of 200 requests in-process, with the CPU time per request of the
endpoint and of the bare one beside it.

``python -m bench.profile week`` (or ``week_next``, ``form``, ``manage``,
``home``, ``agenda``): a page of :mod:`bench.pages`, on its data, requested as
wrk requests it; the CPU time per request of the page and of its bare twin,
then cProfile's top functions by own time and by cumulative time
(``BENCH_PROFILE_REQUESTS``, default 100; ``BENCH_PROFILE_TOP``, default 25).

``python -m bench.profile live [sqlite|postgresql]``: py-spy samples one
gunicorn worker while wrk loads the listing, and prints the share of samples
in which each function is on the stack (gunicorn's socket writes included,
which an in-process profile cannot see).
"""
import atexit
import collections
import cProfile
import io
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from flask.testing import FlaskClient

from booking.core.timeutil import now_utc

from . import booking, harness, pages, slots


class _LocalClient(FlaskClient):
    """A test client asking for the bench's public address: the product refuses other hosts."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", harness.PUBLIC_BASE_URL)
        return super().open(*args, **kwargs)


def local_client(app, **kwargs):
    app.test_client_class = _LocalClient
    return app.test_client(**kwargs)


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

    client = local_client(create_bench_app())
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


def page_client(what):
    """A test client of the bench app on the pages' data, without cookies (as wrk), and the page asked for."""
    tmp = Path(tempfile.mkdtemp(prefix="priyom-profile-"))
    atexit.register(shutil.rmtree, tmp, True)
    url = f"sqlite:///{tmp / 'profile.sqlite3'}"
    _app, site = pages.prepare(url, now_utc())
    (tmp / "bare").mkdir()
    os.environ.update({"DATABASE_URL": url, "BENCH_BARE_DIR": str(tmp / "bare"), **harness.RATE_LIMIT_OFF})
    from .wsgi import create_bench_app

    app = create_bench_app()
    client = local_client(app, use_cookies=False)
    week = client.get(f"/divisions/{site.slug}", headers=pages.HEADERS)
    cookie = page_login(app) if what == "agenda" else None
    page = pages.pages(site, week.get_data(), cookie, names=[what])[0]
    body = client.get(page.path, headers={**pages.HEADERS, **page.headers}).get_data()
    (tmp / "bare" / page.bare_name).write_bytes(body)
    page.bare_path = f"/_bench/bare/{page.bare_name}"
    return client, page


def page_login(app):
    """The head's session cookie, logged in through the form."""
    client = local_client(app)
    form = client.get("/login", headers=pages.HEADERS)
    answer = client.post("/login", headers=pages.HEADERS, data={
        "csrf_token": pages.csrf_token(form.get_data()), "email": pages.HEAD_EMAIL,
        "password": pages.HEAD_PASSWORD, "next": ""})
    assert answer.status_code == 303, answer.status_code
    return "session=" + client.get_cookie("session", domain="127.0.0.1").value


def page_profile(what):
    n, top = harness.setting("PROFILE_REQUESTS", 100), harness.setting("PROFILE_TOP", 25)
    client, page = page_client(what)
    headers = {**pages.HEADERS, **page.headers}

    def call(path):
        def one(_i):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)
        return one

    call(page.path)(0)
    call(page.bare_path)(0)
    print(f"{what} {page.path}: {cpu_ms(call(page.path), n):.2f} ms CPU per request; "
          f"bare twin {cpu_ms(call(page.bare_path), n):.2f} ms ({n} requests in-process)")
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        call(page.path)(i)
    profiler.disable()
    # The cumulative list without the frames every request passes through on its way to the view.
    wrappers = r"^(?!.*(test\.py|testing\.py|app\.py|profile\.py|templating\.py|environment\.py|"\
               r"\{method 'join'))"
    for order, restrict in (("tottime", ()), ("cumulative", (wrappers,))):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(*restrict, top)
        print(f"--- by {order}, {n} requests (cProfile; its overhead inflates many small calls)")
        print(out.getvalue().split("\n\n", 1)[-1].strip())


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
    elif sys.argv[1:2] and sys.argv[1] in pages.ALL_PAGES and sys.argv[1] != "listing":
        page_profile(sys.argv[1])
    else:
        main(*sys.argv[1:2])
