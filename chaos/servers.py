"""The processes a scenario starts, breaks and stops: gunicorn, the mail worker, the SMTP sink, Redis.

PostgreSQL is the throwaway cluster of ``tests/pg.py``, stopped and started
again in place by the bookings scenario; gunicorn is the production tests'
(``tests/prod/kit.py``). Every process listens on 127.0.0.1 only, on a free
port, and is stopped by its own pid.
"""
import contextlib
import os
import re
import secrets
import signal
import smtplib
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import redis
from redis.exceptions import RedisError

from pg import free_port
from prod.kit import Gunicorn

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "chaos-" + secrets.token_hex(24)


def wait_for(condition, timeout, interval=0.05):
    """Poll ``condition()`` until it is truthy or ``timeout`` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def stop_process(process, sig=signal.SIGTERM, timeout=15):
    """Send ``sig`` to ``process`` (a Popen) and wait; SIGKILL when it does not end in time."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def product_env(database_url, **extra):
    """The environment of a Priyom process on ``database_url``: this run's settings only."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "GUNICORN", "MAIL_", "RATELIMIT_", "CHAOS_"))
           and k not in ("DEMO_MODE", "WEB_CONCURRENCY", "PORT", "DATABASE_URL")}
    env.update({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
                "PUBLIC_BASE_URL": "https://priyom.example/"})
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Site(Gunicorn):
    """gunicorn serving the application, with the workers' own output kept in its error log."""

    def __init__(self, database_url, directory, workers, env=None):
        # Flask-Limiter and other libraries log to stderr; --capture-output keeps it in the log file.
        env = {"SECRET_KEY": SECRET_KEY, "GUNICORN_CMD_ARGS": "--capture-output", **(env or {})}
        super().__init__(database_url, directory, workers=workers, env=env)

    def worker_pids(self):
        with contextlib.suppress(OSError):
            return super().worker_pids()
        return []

    def kill_a_worker(self):
        """SIGKILL one worker process; returns its pid."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def all_workers_back(self, timeout=30):
        return wait_for(lambda: len(self.worker_pids()) == self.workers, timeout)


class MailWorker:
    """``flask --app app mail-worker`` in a process of its own, its output in a file."""

    def __init__(self, database_url, smtp_port, directory, interval=1, **settings):
        self.env = product_env(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port, MAIL_TIMEOUT=5,
                               **settings)
        self.interval = interval
        self.log = Path(directory) / f"mail-worker-{secrets.token_hex(3)}.log"
        self.process = None

    def start(self):
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "mail-worker", "--interval", str(self.interval)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def signal(self, sig):
        self.process.send_signal(sig)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        stop_process(self.process)


class SmtpSink:
    """``chaos/smtp_sink.py`` in a process of its own; reads back what it accepted."""

    def __init__(self, directory, delay=0.0, drop_after=0, refuse_seconds=0.0):
        self.port = free_port()
        self.log = Path(directory) / f"smtp-{self.port}.log"
        self.args = ["--delay", str(delay), "--drop-after", str(drop_after), "--refuse-seconds", str(refuse_seconds)]
        self.process = None

    def start(self, timeout=20):
        errors = self.log.with_suffix(".stderr")
        with open(errors, "ab") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "chaos.smtp_sink", "--port", str(self.port),
                                             "--log", str(self.log), *self.args],
                                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        if not wait_for(lambda: "EVENT" in self._text() or self.process.poll() is not None, timeout):
            raise RuntimeError(f"the SMTP sink did not start: {errors.read_text(errors='replace')[-2000:]}")
        with smtplib.SMTP("127.0.0.1", self.port, timeout=5) as smtp:
            smtp.noop()
        return self

    def _text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def deliveries(self):
        """``[(monotonic seconds, Message-ID)]`` of every accepted message, in order."""
        found = re.findall(r"^DELIVERED (\S+) (.*)$", self._text(), re.MULTILINE)
        return [(float(at), message_id) for at, message_id in found]

    def events(self):
        """``{name: monotonic seconds}`` of the sink's changes of behaviour (the first of each)."""
        found = {}
        for at, name in re.findall(r"^EVENT (\S+) (\S+)$", self._text(), re.MULTILINE):
            found.setdefault(name, float(at))
        return found

    def counts(self):
        return Counter(message_id for _at, message_id in self.deliveries())

    def stop(self):
        stop_process(self.process)


class Redis:
    """``redis-server`` without files on a fixed free port, which can be stopped and started again."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = Path(directory)
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout=20):
        with open(self.directory / f"redis-{self.port}.log", "ab") as out:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.directory)], stdout=out, stderr=subprocess.STDOUT)
        if not wait_for(lambda: self.ping(), timeout, interval=0.05):
            raise RuntimeError("redis-server did not start")
        return self

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def ping(self):
        try:
            with self.client() as client:
                return client.ping()
        except (OSError, RedisError):  # not up yet, or stopped
            return False

    def keys(self):
        """How many keys Redis holds (0 when it cannot be reached)."""
        try:
            with self.client() as client:
                return client.dbsize()
        except (OSError, RedisError):
            return 0

    def stop(self):
        stop_process(self.process)
