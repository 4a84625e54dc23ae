"""Shared machinery of the benchmarks.

Databases (a SQLite file or a throwaway PostgreSQL cluster), the real app
under gunicorn on a free port, two load generators (``wrk`` for GETs, a small
asyncio client for POSTs and one-shot bursts), a worker's resident memory from
``/proc``, and the :class:`Report` every script prints its figures with.

Settings come from the environment so ``make bench`` can pass them through:
``BENCH_WORKERS`` (gunicorn workers, default 2 × cores + 1), ``BENCH_ROUNDS``
(alternating measurement rounds, default 3), ``BENCH_SECONDS`` (length of one
wrk run, default 4), ``BENCH_BACKENDS`` (``sqlite,postgresql``) and
``BENCH_RESULTS`` (a file the figures are appended to as JSON lines).
"""
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

RATE_LIMIT_OFF = {"RATELIMIT_ENABLED": "false", "FLASK_RATELIMIT_ENABLED": "false"}
# Long enough for the product's check; the same in-process and under gunicorn, so signed links agree.
SECRET_KEY = "bench-" + "0123456789abcdef" * 4
# The servers are reached on 127.0.0.1 (any port: the trusted host is checked without it).
PUBLIC_BASE_URL = "http://127.0.0.1"


def setting(name, default):
    """An integer or string setting from ``BENCH_<name>``."""
    value = os.environ.get(f"BENCH_{name}")
    if value in (None, ""):
        return default
    return type(default)(value)


def workers():
    return setting("WORKERS", 2 * (os.cpu_count() or 1) + 1)


def rounds():
    return setting("ROUNDS", 3)


def seconds():
    return setting("SECONDS", 4)


def backends():
    names = [b.strip() for b in setting("BACKENDS", "sqlite,postgresql").split(",") if b.strip()]
    if "postgresql" in names and postgres_bin() is None:
        print("PostgreSQL binaries not found: PostgreSQL figures skipped", file=sys.stderr)
        names.remove("postgresql")
    return names


# --------------------------------------------------------------------------- the machine

def machine():
    """What the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {"nproc": os.cpu_count(), "cpu": model, "memory_gib": round(mem_kb / 1024 / 1024, 1)}


# --------------------------------------------------------------------------- figures

def spread(values):
    """Median, minimum and maximum of repeated measurements."""
    values = list(values)
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def fmt(x):
    """A number or a spread() for people: a few significant digits, median (min–max)."""
    if x is None:
        return "-"
    if isinstance(x, dict):
        if x["n"] == 1 or x["min"] == x["max"]:
            return fmt(x["median"])
        return f"{fmt(x['median'])} ({fmt(x['min'])}–{fmt(x['max'])})"
    if isinstance(x, float):
        if abs(x) >= 100:
            return f"{x:,.0f}".replace(",", " ")
        if abs(x) >= 10:
            return f"{x:.1f}"
        return f"{x:.2f}" if abs(x) >= 0.1 else f"{x:.3f}"
    return str(x)


@dataclass
class Figure:
    name: str
    value: object  # a number or a spread()
    unit: str
    baseline: object = None
    baseline_name: str = ""
    ratio: object = None
    target: tuple = None  # (">=" | "<=" | "==", number), checked against the ratio's median
    note: str = ""
    must: bool = False  # a correctness target (no 5xx), not a speed one

    @property
    def verdict(self):
        if self.target is None:
            return ""
        op, bound = self.target
        measured = self.ratio if self.ratio is not None else self.value
        measured = measured["median"] if isinstance(measured, dict) else measured
        ok = {">=": measured >= bound, "<=": measured <= bound, "==": measured == bound}[op]
        return "met" if ok else "MISSED"

    def as_dict(self, script):
        return {"script": script, "name": self.name, "value": self.value, "unit": self.unit,
                "baseline": self.baseline, "baseline_name": self.baseline_name, "ratio": self.ratio,
                "target": list(self.target) if self.target else None, "verdict": self.verdict, "note": self.note,
                "must": self.must}


class Report:
    """The figures of one benchmark script, printed and appended to ``BENCH_RESULTS``."""

    def __init__(self, script, description):
        self.script, self.description = script, description
        self.figures = []
        print(f"== {script}: {description}", flush=True)

    def add(self, *args, **kwargs):
        figure = Figure(*args, **kwargs)
        self.figures.append(figure)
        print("   " + format_row(figure.as_dict(self.script), with_script=False), flush=True)
        return figure

    def log(self, message):
        print(f"   · {message}", flush=True)

    def save(self):
        path = os.environ.get("BENCH_RESULTS")
        if path:
            with open(path, "a", encoding="utf-8") as out:
                for figure in self.figures:
                    out.write(json.dumps(figure.as_dict(self.script), ensure_ascii=False) + "\n")


def format_row(row, with_script=True):
    target = ""
    if row["target"]:
        target = f"target {row['target'][0]} {row['target'][1]}: {row['verdict']}"
    parts = [f"{row['name']}: {fmt(row['value'])} {row['unit']}"]
    if row["baseline"] is not None:
        parts.append(f"vs {row['baseline_name']} {fmt(row['baseline'])}")
    if row["ratio"] is not None:
        parts.append(f"ratio {fmt(row['ratio'])}")
    if target:
        parts.append(target)
    if row["note"]:
        parts.append(f"[{row['note']}]")
    line = " | ".join(parts)
    return f"{row['script']}: {line}" if with_script else line


# --------------------------------------------------------------------------- databases

def postgres_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: [int(x) for x in p.parent.parent.name.split(".") if x.isdigit()])
    return found[-1].parent if found else None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free port, removed on exit."""

    def __init__(self):
        self.bin = postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="priyom-bench-pg-"))
        self.port = None
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args):
        subprocess.run([*self._as_postgres, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def __enter__(self):
        if self._as_postgres:
            shutil.chown(self.dir, "postgres")
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        for _attempt in range(5):
            self.port = free_port()
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "-o",
                          f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200",
                          "start")
                return self
            except subprocess.CalledProcessError:
                continue
        raise RuntimeError(f"PostgreSQL did not start; see {self.dir / 'log'}")

    def create_database(self, name):
        """An empty database; returns its SQLAlchemy URL."""
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def __exit__(self, *exc):
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def databases(names=None):
    """Yields ``new_database(backend, name) -> url`` for the backends asked for."""
    names = names if names is not None else backends()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="priyom-bench-")))
        cluster = stack.enter_context(PostgresCluster()) if "postgresql" in names else None

        def new_database(backend, name):
            if backend == "sqlite":
                return f"sqlite:///{tmp / (name + '.sqlite3')}"
            return cluster.create_database(name)

        yield new_database


def product_app(url):
    """The bench app (product + baselines) in this process, on ``url``."""
    os.environ.update(RATE_LIMIT_OFF)
    from booking import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": False,
                       "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                       "MAIL_SUPPRESS_SEND": True})


def create_schema(app):
    from booking.extensions import db

    from .wsgi import bench_metadata

    with app.app_context():
        db.create_all()
        bench_metadata.create_all(db.engine)


def add_division(app, slug, weekdays=(0, 1, 2, 3, 4), start="09:00", end="18:00", slot_minutes=20, places=1):
    """A division receiving on ``weekdays`` from ``start`` to ``end``; returns its id."""
    from booking.extensions import db
    from booking.models import Division, ReceptionRule

    def hm(text):
        hours, minutes = map(int, text.split(":"))
        return clock(hours, minutes)

    with app.app_context():
        division = Division(slug=slug, name=f"Филиал {slug}", head_name="Иванов Иван Иванович",
                            head_title="Директор филиала", address="Москва, ул. Тестовая, д. 1")
        for weekday in weekdays:
            division.rules.append(ReceptionRule(weekday=weekday, start_time=hm(start), end_time=hm(end),
                                                slot_minutes=slot_minutes, places=places))
        db.session.add(division)
        db.session.commit()
        return division.id


# --------------------------------------------------------------------------- gunicorn

class Server:
    """``bench.wsgi:app`` under gunicorn with ``n_workers`` sync workers, on a free port."""

    def __init__(self, url, n_workers=None, env=None, bare_body=None, worker_class=None):
        self.url = url
        self.n_workers = n_workers or workers()
        self.env = env or {}
        self.bare_body = bare_body
        self.worker_class = worker_class or setting("WORKER_CLASS", "sync")
        self.dir = Path(tempfile.mkdtemp(prefix="priyom-bench-srv-"))
        self.process = None
        self.sock = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def bare_dir(self):
        return self.dir / "bare"

    def put_bare(self, name, body):
        """Serve ``body`` at the returned path (``/_bench/bare/<name>``; ``.html`` names as HTML), even now."""
        (self.bare_dir / name).write_bytes(body)
        return f"/_bench/bare/{name}"

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(2048)
        self.sock.set_inheritable(True)
        self.port = self.sock.getsockname()[1]
        env = {**os.environ, **RATE_LIMIT_OFF, "DATABASE_URL": self.url, "SECRET_KEY": SECRET_KEY,
               "PUBLIC_BASE_URL": PUBLIC_BASE_URL, **self.env}
        if self.bare_body is not None:
            body_path = self.dir / "bare.json"
            body_path.write_bytes(self.bare_body)
            env["BENCH_BARE_BODY"] = str(body_path)
        self.bare_dir.mkdir()
        env["BENCH_BARE_DIR"] = str(self.bare_dir)
        self.log = self.dir / "gunicorn.log"
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "python:bench.gunicorn_settings",
             "--bind", f"fd://{self.sock.fileno()}", "--workers", str(self.n_workers),
             "--worker-class", self.worker_class, "--log-level", "warning", "--error-logfile", str(self.log),
             "--timeout", "120", "bench.wsgi:app"],
            cwd=ROOT, env=env, pass_fds=[self.sock.fileno()])
        self._wait_ready()
        return self

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}:\n{self.log.read_text()[-2000:]}")
            if len(self.worker_pids()) == self.n_workers:
                status, _body = get(self.port, "/_bench/bare")
                if status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready after {timeout}s; see {self.log}")

    def settle(self, timeout=120):
        """Wait until the requests a load generator left queued are served: one GET that waits its turn.

        wrk stops on time, but the requests its connections had sent are still in the socket's
        queue; a slow page leaves a second of them, which the next run would otherwise pay for.
        """
        status, _body = get(self.port, "/_bench/bare", timeout=timeout)
        if status != 200:
            raise RuntimeError(f"server not answering after a load run: {status}")

    def worker_pids(self):
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
            return [int(pid) for pid in children.split()]
        return []

    def memory_kib(self):
        """``{pid: (VmRSS, VmHWM)}`` of every worker, in KiB (VmHWM is the peak)."""
        found = {}
        for pid in self.worker_pids():
            values = {}
            with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith(("VmRSS:", "VmHWM:")):
                        key, amount = line.split()[:2]
                        values[key] = int(amount)
            if values:
                found[pid] = (values["VmRSS:"], values["VmHWM:"])
        return found

    def errors_logged(self):
        text = self.log.read_text() if self.log.exists() else ""
        return text.count("Traceback")

    def last_error(self):
        """The last line of the last traceback logged, or ``""``: what went wrong, for the report."""
        text = self.log.read_text() if self.log.exists() else ""
        tail = text.rpartition("Traceback")[2].strip().splitlines()
        return tail[-1][:200] if "Traceback" in text and tail else ""

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.sock:
            self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- load generators

_WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, "socket_errors": %d,' ..
    ' "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int = 0
    statuses: Counter = field(default_factory=Counter)
    bytes: int = 0  # read from the socket, headers included (wrk only)

    @property
    def bytes_per_request(self):
        return self.bytes / self.requests if self.requests else 0.0


def wrk(url, duration=None, connections=None, threads=1, headers=None):
    """Requests/s and latency percentiles of GET ``url`` (with ``headers``) under ``wrk``."""
    duration = duration or seconds()
    connections = connections or 2 * workers()
    script = Path(tempfile.gettempdir()) / "priyom-bench-wrk-report.lua"
    script.write_text(_WRK_REPORT)
    header_args = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
                          "--timeout", "30s", "-s", str(script), *header_args, url],
                         check=True, capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    data = json.loads(line[len("WRK_JSON "):])
    if not data["requests"]:
        # A round that served nothing is a failed measurement, not a rate of zero to divide by.
        raise RuntimeError(f"wrk completed no request against {url}:\n{out}")
    secs = data["duration_us"] / 1e6
    return LoadResult(requests=data["requests"], seconds=secs, rps=data["requests"] / secs,
                      p50_ms=data["p50_us"] / 1000, p90_ms=data["p90_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                      errors=data["status_errors"] + data["socket_errors"] + data["timeouts"],
                      bytes=data["bytes"])


def http_request(method, path, body=None, headers=None, form=None):
    """Raw HTTP/1.1 request bytes (``Connection: close``, as sync workers answer anyway).

    ``body`` is sent as JSON, ``form`` (a dict) as ``application/x-www-form-urlencoded``.
    """
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    payload = b""
    if body is not None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    elif form is not None:
        payload = urlencode(form).encode("ascii")
        head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(payload)}"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload


@dataclass
class Reply:
    """One HTTP answer: status, headers (lower-cased names, in order), body, and its size on the wire."""
    status: int
    headers: list
    body: bytes
    size: int

    def header(self, name, default=None):
        return next((value for key, value in self.headers if key == name.lower()), default)


async def _exchange_reply(port, raw, timeout):
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        writer.write(raw)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout)
        status = int(status_line.split()[1])
        size, length, headers = len(status_line), None, []
        while True:
            line = await asyncio.wait_for(reader.readline(), timeout)
            size += len(line)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _sep, value = line.decode("latin-1").partition(":")
            headers.append((name.strip().lower(), value.strip()))
            if name.strip().lower() == "content-length":
                length = int(value)
        body = await asyncio.wait_for(reader.readexactly(length) if length is not None else reader.read(), timeout)
        return Reply(status, headers, body, size + len(body))
    finally:
        writer.close()


async def _exchange(port, raw, timeout):
    reply = await _exchange_reply(port, raw, timeout)
    return reply.status, reply.body


def burst(port, raws, concurrency, timeout=120):
    """Send every request of ``raws`` with ``concurrency`` clients; statuses, latencies, wall time.

    A request that fails at the socket level counts as status 0.
    """
    async def run():
        latencies, statuses = [], Counter()
        queue = iter(raws)  # shared: each client takes the next request

        async def client():
            for raw in queue:
                started = time.perf_counter()
                try:
                    status, _body = await _exchange(port, raw, timeout)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                    status = 0
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, statuses

    elapsed, latencies, statuses = asyncio.run(run())
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0.0

    return LoadResult(requests=len(latencies), seconds=elapsed, rps=len(latencies) / elapsed,
                      p50_ms=pct(50), p90_ms=pct(90), p99_ms=pct(99),
                      errors=sum(n for s, n in statuses.items() if s == 0 or s >= 500), statuses=statuses)


def get(port, path, timeout=10, headers=None):
    """One GET: ``(status, body)``; status 0 when the server cannot be reached."""
    try:
        return asyncio.run(_exchange(port, http_request("GET", path, headers=headers), timeout))
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
        return 0, b""


def exchange(port, raw, timeout=30):
    """Send one raw request (:func:`http_request`); the whole :class:`Reply`. Socket errors are raised."""
    return asyncio.run(_exchange_reply(port, raw, timeout))


def alternate(measurements, n_rounds=None):
    """Run named measurements in alternating order for ``n_rounds``; ``{name: [result, ...]}``.

    Alternating (A B, B A, A B…) spreads any drift of a shared machine over both sides.
    """
    names = list(measurements)
    results = {name: [] for name in names}
    for r in range(n_rounds or rounds()):
        for name in (names if r % 2 == 0 else names[::-1]):
            results[name].append(measurements[name]())
    return results


def main(run):
    """Run a benchmark script's ``run()``, which returns its :class:`Report`, and save the figures."""
    run().save()
