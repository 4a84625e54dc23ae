"""The HTML pages people load, each against a bare endpoint serving its very bytes.

One gunicorn server (``BENCH_PAGE_WORKERS``, 2 sync workers) serves the product
and ``/_bench/bare/<name>``: the bytes of each page as it was just served,
answered without any work (:mod:`bench.wsgi`). wrk loads each page and its bare
twin in alternating rounds with ``BENCH_PAGE_CONNECTIONS`` (16) connections,
every request with the same headers (``Accept-Language: ru``, a fixed
``User-Agent``, and the head's session cookie for the agenda):

- ``home``: ``/``, the divisions (the four demo ones and the two below);
- ``week``: ``/divisions/bench-busy``, the first week with free time of a
  division receiving every weekday 09:00–18:00 in 20-minute slots of two places,
  a third of them booked; ``week_next``: the same with the page's ``?week=`` link
  to the next week;
- ``form``: the booking form of the first free time a day ahead linked from the
  week page (an earlier one may pass its minimum notice while it is measured);
- ``manage``: a booking's private page (``/bookings/<code>?token=…``);
- ``agenda``: the division head's day (``/agenda/<day>``, the first day ahead
  with bookings), logged in once through the login form;
- ``listing``: the JSON slot listing of the same division, for reference.

Targets: public pages and the listing at least 0.5 of their bare floor, the
agenda 0.3. Then p50/p99 latency of every page and its twin with
``BENCH_PAGE_LATENCY_CONNECTIONS`` (64) connections in ``BENCH_PAGE_LATENCY_ROUNDS``
(1) rounds, and the crowd: ``BENCH_CROWD`` (200)
connections (0: no crowd) on a division's page (and on its bare twin) while
``BENCH_BOOKERS`` (20) clients book in that division through the API (a known
client, with its key), without rate limits, for ``BENCH_CROWD_SECONDS`` (10: at a few pages a second, 200
connections wait seconds for their first answer): no 5xx, no socket errors, and
the page's share of the floor under that load.

Correctness: every page answers 200, its twin serves the same number of bytes
(forms carry a CSRF token that differs per request, not in length) with the same
Content-Type, and every wrk run read about as many bytes per request as the
page's answer has: a run answered with redirects or error pages fails loudly.
``BENCH_PAGES`` picks some of the pages (``week,form``), for re-running one.
"""
import html
import itertools
import json
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from booking.core.timeutil import now_utc
from tests.helpers import csrf_token

from . import booking as booking_bench
from . import harness, loader

SLUG = "bench-busy"
CROWD = "bench-crowd"
HEAD_EMAIL = "head@bench.example.ru"
HEAD_PASSWORD = "bench-head-password"
# Every request, page or bare, carries these: the page's language and Flask-Login's session identifier are fixed.
HEADERS = {"Accept-Language": "ru", "User-Agent": "priyom-bench"}
PUBLIC, AGENDA = 0.5, 0.3
ALL_PAGES = ("home", "week", "week_next", "form", "manage", "agenda", "listing")
# A wrk run whose bytes per request fall below this share of the page's answer got something else.
SIZE_TOLERANCE = 0.98


@dataclass
class Site:
    """What :func:`prepare` made: where the pages are and who may see the agenda."""
    slug: str
    crowd: str
    code: str
    token: str
    agenda_day: str


@dataclass
class Page:
    name: str
    title: str
    path: str
    target: float
    headers: dict = field(default_factory=dict)  # on top of HEADERS
    reply: object = None  # harness.Reply of the page, as served when its twin was made
    bare_path: str = ""
    bare_reply: object = None  # harness.Reply of the twin

    @property
    def bare_name(self):
        return self.name + (".json" if self.path.startswith("/api/") else ".html")


# --------------------------------------------------------------------------- the data

def prepare(url, now):
    """Schema, the demo divisions, a busy division a third booked, an empty one for the crowd, a head, a booking."""
    from booking import accounts
    from booking import bookings as booking_ops
    from booking.cli import seed_demo_divisions
    from booking.extensions import db
    from booking.models import Division, Role, Topic
    from booking.notify.settings import mailroom_of

    app = harness.product_app(url)
    harness.create_schema(app)
    with app.app_context():
        seed_demo_divisions()
        db.session.commit()
    busy = harness.add_division(app, SLUG, places=2)
    loader.add_present_bookings(app, busy, now)
    harness.add_division(app, CROWD, places=4)
    booking_bench.add_api_client(app)  # the crowd books through the API, as a known client
    with app.app_context():
        division = db.session.get(Division, busy)
        policy = booking_ops.Policy.from_config(app.config)
        accounts.create_user(HEAD_EMAIL, Role.HEAD, HEAD_PASSWORD, name="Иванов И. И.", divisions=[division])
        tomorrow = (now + timedelta(days=1)).astimezone(policy.tz).date()
        start = booking_ops.slot_views(division, now, policy, tomorrow, tomorrow + timedelta(days=14))[0].start_dt
        details = booking_ops.CitizenDetails(full_name="Сидорова Анна Петровна", phone="+79161234567",
                                             email="anna@example.ru", topic=Topic.HEATING,
                                             message="Холодные батареи в квартире")
        booking, token = booking_ops.create_booking(division, start, details, now, policy, mailroom_of(app))
        db.session.commit()
        site = Site(slug=SLUG, crowd=CROWD, code=booking.code, token=token,
                    agenda_day=start.astimezone(policy.tz).date().isoformat())
        db.session.remove()
        db.engine.dispose()
    return app, site


def _link(body, pattern, what):
    found = re.search(pattern, body.decode("utf-8"))
    if not found:
        raise AssertionError(f"no {what} on the week page")
    return html.unescape(found.group(1))


def _form_link(body):
    """The first free time on the week page at least a day ahead: it stays bookable while it is measured."""
    for href in re.findall(r'<a class="slot" href="([^"]+)"', body.decode("utf-8")):
        href = html.unescape(href)
        start = datetime.fromisoformat(parse_qs(urlsplit(href).query)["start"][0])
        if start >= now_utc() + timedelta(days=1):
            return href
    raise AssertionError("no free time a day ahead on the week page")


def pages(site, week_body, cookie=None, names=None):
    """The pages measured; the next week and the form are the links the week page shows."""
    week = f"/divisions/{site.slug}"
    found = [
        Page("home", "home page", "/", PUBLIC),
        Page("week", "division week", week, PUBLIC),
        Page("week_next", "division, next week", _link(week_body, r'href="([^"]+)" rel="next"', "next week"),
             PUBLIC),
        Page("form", "booking form", _form_link(week_body), PUBLIC),
        Page("manage", "booking's manage page", f"/bookings/{site.code}?token={site.token}", PUBLIC),
        Page("agenda", "head's day agenda", f"/agenda/{site.agenda_day}", AGENDA,
             {"Cookie": cookie} if cookie else {}),
        Page("listing", "JSON slot listing", f"/api/v1/divisions/{site.slug}/slots", PUBLIC),
    ]
    names = names or chosen_pages()
    return [page for page in found if page.name in names]


def chosen_pages():
    names = [n.strip() for n in harness.setting("PAGES", ",".join(ALL_PAGES)).split(",") if n.strip()]
    unknown = set(names) - set(ALL_PAGES)
    if unknown:
        raise SystemExit(f"BENCH_PAGES: unknown {sorted(unknown)}; known: {', '.join(ALL_PAGES)}")
    return names


def session_cookie(reply):
    for name, value in reply.headers:
        if name == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    raise AssertionError(f"no session cookie in the answer {reply.status}")


def login(port, email=HEAD_EMAIL, password=HEAD_PASSWORD):
    """Log in through the form, as a browser does; the ``Cookie`` header value of the session."""
    form = harness.exchange(port, harness.http_request("GET", "/login", headers=HEADERS))
    cookie = session_cookie(form)
    answer = harness.exchange(port, harness.http_request(
        "POST", "/login", headers={**HEADERS, "Cookie": cookie},
        form={"csrf_token": csrf_token(form.body), "email": email, "password": password, "next": ""}))
    assert answer.status == 303, (answer.status, answer.body[:300])
    return session_cookie(answer)


# --------------------------------------------------------------------------- the twins and their check

def fetch(server, path, headers=None):
    return harness.exchange(server.port, harness.http_request("GET", path, headers={**HEADERS, **(headers or {})}))


def make_twins(server, site, report, backend):
    """Every page served once, its bytes put behind ``/_bench/bare/<name>``; the pages."""
    week = fetch(server, f"/divisions/{site.slug}")
    assert week.status == 200, week.status
    chosen = pages(site, week.body, login(server.port) if "agenda" in chosen_pages() else None)
    for page in chosen:
        page.reply = fetch(server, page.path, page.headers)
        page.bare_path = server.put_bare(page.bare_name, page.reply.body)
        page.bare_reply = fetch(server, page.bare_path, page.headers)
    report.log(f"{backend}: " + "; ".join(f"{p.name} {p.path} {len(p.reply.body) / 1000:.1f} kB" for p in chosen))
    return chosen


def check_twins(server, chosen):
    """Problems with the pages and their twins: not 200, different length or type. Empty when all is right."""
    problems = []
    for page in chosen:
        again, bare = fetch(server, page.path, page.headers), page.bare_reply
        for what, reply in (("page", page.reply), ("page again", again), ("bare", bare)):
            if reply.status != 200:
                problems.append(f"{page.name}: {what} answered {reply.status}")
        if len(bare.body) != len(page.reply.body) or len(again.body) != len(page.reply.body):
            problems.append(f"{page.name}: {len(page.reply.body)} bytes served, {len(again.body)} again, "
                            f"{len(bare.body)} bare")
        if bare.header("content-type") != page.reply.header("content-type"):
            problems.append(f"{page.name}: bare {bare.header('content-type')} vs {page.reply.header('content-type')}")
    return problems


def check_run(name, result, expected_size, tolerance=SIZE_TOLERANCE):
    """A problem when a wrk run had errors or read fewer bytes per request than the page's answer has."""
    if result.errors:
        return f"{name}: {result.errors} errors"
    if result.bytes_per_request < tolerance * expected_size:
        return f"{name}: {result.bytes_per_request:.0f} bytes a request, the answer has {expected_size}"
    return None


# --------------------------------------------------------------------------- measuring

def load_rounds(server, chosen, connections, n_rounds=None):
    """Alternating wrk rounds over every page and its twin; ``{name: [LoadResult]}``, twins as ``name:bare``."""
    def runner(path, headers):
        def measure():
            result = harness.wrk(server.base_url + path, connections=connections, headers={**HEADERS, **headers})
            server.settle()
            return result
        return measure

    runs = {}
    for page in chosen:
        runs[page.name + ":bare"] = runner(page.bare_path, page.headers)
        runs[page.name] = runner(page.path, page.headers)
    return harness.alternate(runs, n_rounds)


def run_problems(chosen, results):
    """:func:`check_run` over every run of every page and twin."""
    found = []
    for page in chosen:
        for name, reply in ((page.name, page.reply), (page.name + ":bare", page.bare_reply)):
            found += [p for p in (check_run(name, result, reply.size) for result in results[name]) if p]
    return found


def add_rate_figures(report, backend, chosen, results, connections):
    for page in chosen:
        ours, bare = results[page.name], results[page.name + ":bare"]
        report.add(f"{backend}: {page.title}", harness.spread(r.rps for r in ours), "req/s",
                   baseline=harness.spread(r.rps for r in bare), baseline_name="bare, same bytes",
                   ratio=harness.spread(o.rps / b.rps for o, b in zip(ours, bare)), target=(">=", page.target),
                   note=f"{page.path.split('?')[0]}, {len(page.reply.body) / 1000:.1f} kB, {connections} connections")


def add_latency_figures(report, backend, chosen, results, connections):
    for page in chosen:
        ours, bare = results[page.name], results[page.name + ":bare"]
        report.add(f"{backend}: {page.title} p50 latency, {connections} connections",
                   harness.spread(r.p50_ms for r in ours), "ms",
                   baseline=harness.spread(r.p50_ms for r in bare), baseline_name="bare",
                   ratio=harness.spread(o.p50_ms / b.p50_ms for o, b in zip(ours, bare)),
                   note=f"p99 {harness.fmt(harness.spread(r.p99_ms for r in ours))} ms, "
                        f"bare {harness.fmt(harness.spread(r.p99_ms for r in bare))} ms" + _truncated(ours))


def _truncated(results):
    """A warning when the runs were too short for their latency: wrk only times the requests that finish."""
    if any(r.p99_ms > r.seconds * 1000 / 2 for r in results):
        return "; TRUNCATED: p99 over half the run, raise BENCH_SECONDS"
    return ""


def crowd(server, site, report, backend):
    """200 connections on a division's page (then on its twin) while 20 clients book in it."""
    connections, bookers = harness.setting("CROWD", 200), harness.setting("BOOKERS", 20)
    duration = harness.setting("CROWD_SECONDS", 10)
    path = f"/divisions/{site.crowd}"
    page = fetch(server, path)
    assert page.status == 200, page.status
    bare_path = server.put_bare("crowd.html", page.body)
    tomorrow = (now_utc() + timedelta(days=1)).date().isoformat()
    starts = [s["start"] for s in _json(fetch(server, f"/api/v1/divisions/{site.crowd}/slots?from={tomorrow}"))]
    serial = itertools.count(1)

    def under_bookings(target):
        deadline = time.monotonic() + duration

        def requests():
            while time.monotonic() < deadline:
                n = next(serial)
                yield booking_bench.booking_request(site.crowd, starts[n % len(starts)], n)

        with ThreadPoolExecutor(1) as pool:
            booked = pool.submit(harness.burst, server.port, requests(), bookers)
            try:
                load = harness.wrk(server.base_url + target, duration=duration, connections=connections,
                                   headers=HEADERS)
            except RuntimeError:  # not one answer within the run: reported below, the other figures kept
                load = None
            booked = booked.result()
        server.settle()
        return load, booked

    results = harness.alternate({"bare": lambda: under_bookings(bare_path), "page": lambda: under_bookings(path)})
    empty = [f"{name}: no answer within {duration} s, raise BENCH_CROWD_SECONDS"
             for name in ("page", "bare") for load, _booked in results[name] if load is None]
    paired = [(o[0], b[0]) for o, b in zip(results["page"], results["bare"]) if o[0] and b[0]]
    ours, bare = [o for o, _b in paired], [b for _o, b in paired]
    books = [r[1] for r in results["page"] + results["bare"]]
    books_beside_page = [r[1] for r in results["page"]]
    statuses = sum((b.statuses for b in books), Counter())
    # The page changes as places are taken ("2 места" becomes "1 место"): a looser size check.
    bare_size = fetch(server, bare_path).size
    problems = empty + [p for p in (check_run("crowd page", r, page.size, 0.9) for r in ours) if p]
    problems += [p for p in (check_run("crowd bare", r, bare_size) for r in bare) if p]
    failed = sum(n for status, n in statuses.items() if status == 0 or status >= 500)
    if paired:
        report.add(f"{backend}: crowd: division page, {connections} connections while {bookers} book",
                   harness.spread(r.rps for r in ours), "req/s", baseline=harness.spread(r.rps for r in bare),
                   baseline_name="bare under the same bookings",
                   ratio=harness.spread(o.rps / b.rps for o, b in zip(ours, bare)),
                   note=f"p50 {harness.fmt(harness.spread(r.p50_ms for r in ours))} ms, "
                        f"p99 {harness.fmt(harness.spread(r.p99_ms for r in ours))} ms{_truncated(ours)}; "
                        f"{harness.fmt(harness.spread(b.statuses[201] / b.seconds for b in books_beside_page))} "
                        f"bookings/s beside the page")
    # Any other answer to a booking (401, 422, 429…) means the crowd did not book as it should have.
    others = {s: n for s, n in statuses.items() if s not in (0, 201, 409) and s < 500}
    report.add(f"{backend}: crowd: 5xx, socket errors, refused bookings and wrong pages",
               failed + sum(others.values()) + sum(r.errors for r in ours + bare) + len(problems), "",
               target=("==", 0), must=True,
               note=f"bookings {statuses[201]} × 201, {statuses[409]} × 409"
                    + (f", others {others}" if others else "") + (f"; {'; '.join(problems)}" if problems else ""))


def _json(reply):
    assert reply.status == 200, reply.status
    return json.loads(reply.body)


# --------------------------------------------------------------------------- the script

def run():
    report = harness.Report("pages", "HTML pages vs bare endpoints serving the same bytes, same server")
    n_workers = harness.setting("PAGE_WORKERS", 2)
    connections = harness.setting("PAGE_CONNECTIONS", 16)
    latency_connections = harness.setting("PAGE_LATENCY_CONNECTIONS", 64)
    with harness.databases() as new_database:
        for backend in harness.backends():
            url = new_database(backend, "pages")
            _app, site = prepare(url, now_utc())
            with harness.Server(url, n_workers=n_workers) as server:
                chosen = make_twins(server, site, report, backend)
                problems = check_twins(server, chosen)
                for page in chosen:  # every worker has served every page and read every twin
                    for path in (page.path, page.bare_path):
                        harness.wrk(server.base_url + path, duration=1, connections=4,
                                    headers={**HEADERS, **page.headers})
                server.settle()
                rates = load_rounds(server, chosen, connections)
                add_rate_figures(report, backend, chosen, rates, connections)
                latency = load_rounds(server, chosen, latency_connections, harness.setting("PAGE_LATENCY_ROUNDS", 1))
                add_latency_figures(report, backend, chosen, latency, latency_connections)
                problems += run_problems(chosen, rates) + run_problems(chosen, latency)
                report.add(f"{backend}: pages not 200, twins of another length, wrong answers under load",
                           len(problems), "", target=("==", 0), must=True,
                           note="; ".join(problems[:5]) or f"{len(chosen)} pages and their twins")
                if harness.setting("CROWD", 200):
                    crowd(server, site, report, backend)
                tracebacks, last = server.errors_logged(), server.last_error()
            report.add(f"{backend}: tracebacks logged", tracebacks, "", target=("==", 0), must=True,
                       note=f"last: {last}" if last else "")
    return report


if __name__ == "__main__":
    harness.main(run)
