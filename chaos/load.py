"""Steady booking load through the JSON API, and what its answers say once faults are laid over them.

A few client threads each POST ``/api/v1/bookings`` in a loop, one booking
per request for a citizen of its own (unique e-mail and phone), spread
round-robin over the free slots of one division with many places. Every
request is kept with its start, end and outcome, so that an error can be
traced to the fault that explains it, or to none.
"""
import http.client
import itertools
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# Headers of every API call; the site's preparation adds its API client's key (X-API-Key).
API_HEADERS = {}


@dataclass
class Attempt:
    """One request: when it ran (monotonic seconds), its status (0: no answer) and the booking code."""

    started: float
    ended: float
    status: int
    email: str
    code: str = ""
    error: str = ""

    @property
    def acknowledged(self):
        return self.status == 201

    @property
    def failed(self):
        return self.status == 0 or self.status >= 500


def request(port, method, path, body=None, headers=None, timeout=30):
    """One HTTP request on a fresh connection: ``(status, parsed JSON or text)``."""
    headers = {**API_HEADERS, **(headers or {})}
    payload = None
    if body is not None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        conn.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def free_starts(slots, min_hours_ahead=0):
    """The start times (ISO text) of the free slots of a ``/slots`` listing, at least so many hours ahead."""
    earliest = datetime.now(timezone.utc) + timedelta(hours=min_hours_ahead)
    return [slot["start"] for slot in slots
            if slot["available"] > 0 and datetime.fromisoformat(slot["start"]) >= earliest]


def booking_body(slug, start, n):
    return {"division": slug, "start": start, "name": "Петров Пётр Петрович",
            "email": f"citizen{n}@example.ru", "phone": f"+7916{n:07d}", "topic": "heating", "consent": True}


class BookingLoad:
    """``clients`` threads booking as fast as the site answers, until :meth:`stop`."""

    def __init__(self, port, slug, starts, clients, timeout=30):
        self.port, self.slug, self.timeout = port, slug, timeout
        self.starts = itertools.cycle(starts)
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()
        self.attempts = []
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]
        self.began = None

    def _client(self):
        while not self.halt.is_set():
            with self.lock:
                start, n = next(self.starts), next(self.numbers)
            body = booking_body(self.slug, start, n)
            began = time.monotonic()
            try:
                status, answer = request(self.port, "POST", "/api/v1/bookings", body, timeout=self.timeout)
                attempt = Attempt(began, time.monotonic(), status, body["email"])
                if status == 201:
                    attempt.code = answer["code"]
                elif isinstance(answer, dict):
                    attempt.error = answer.get("error", "")
            except (OSError, http.client.HTTPException) as exc:
                attempt = Attempt(began, time.monotonic(), 0, body["email"], error=type(exc).__name__)
            with self.lock:
                self.attempts.append(attempt)

    def start(self):
        self.began = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        self.halt.set()
        for thread in self.threads:
            thread.join(timeout=self.timeout + 5)
        return sorted(self.attempts, key=lambda a: a.started)

    def at(self, seconds):
        """Sleep until ``seconds`` after the load began."""
        time.sleep(max(0.0, self.began + seconds - time.monotonic()))


def overlaps(attempt, window):
    begin, end = window
    return attempt.started <= end and attempt.ended >= begin


def explain_failures(attempts, outages=(), kills=()):
    """Sort failed requests: ``(during an outage, cut by a worker kill, unexplained)`` lists.

    A failure is explained by an outage window ``(begin, end)`` it overlaps, or
    by a worker kill at a moment it was in flight, when it got no answer at all.
    """
    during, killed, unexplained = [], [], []
    for attempt in attempts:
        if not attempt.failed:
            continue
        if any(overlaps(attempt, window) for window in outages):
            during.append(attempt)
        elif attempt.status == 0 and any(attempt.started <= k <= attempt.ended for k in kills):
            killed.append(attempt)
        else:
            unexplained.append(attempt)
    return during, killed, unexplained


def first_success_after(attempts, moment):
    """Seconds from ``moment`` until a request begun after it was acknowledged (None if none was)."""
    ends = [a.ended for a in attempts if a.started >= moment and a.acknowledged]
    return min(ends) - moment if ends else None


def describe(attempts):
    """``{status: count}`` of the attempts, for messages."""
    counts = {}
    for attempt in attempts:
        key = attempt.status or attempt.error or "no answer"
        counts[key] = counts.get(key, 0) + 1
    return counts
