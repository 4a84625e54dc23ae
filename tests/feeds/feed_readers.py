"""Independent iCalendar readers for the feed tests: Mozilla's ical.js (run by node) and vobject.

Both return the same plain shape, so one assertion checks what two different
parsers understood. Neither is the ``icalendar`` library the application
writes with.
"""
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
import vobject

JS_DIR = Path(__file__).parent / "js"
SKIP_ENV = "PRIYOM_SKIP_ICALJS"


@dataclass
class ParsedEvent:
    uid: str
    sequence: int
    status: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    summary: str
    location: str
    description: str
    organizer: str


@dataclass
class ParsedCalendar:
    name: str
    refresh_interval: str
    events: list = field(default_factory=list)

    def event(self, uid):
        matches = [e for e in self.events if e.uid == uid]
        assert len(matches) == 1, f"{uid} appears {len(matches)} times"
        return matches[0]


def _utc(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def install_icaljs():
    """Make sure node can run the ical.js reader, installing the locked package when missing.

    Fails loudly when node or npm is missing: only ``PRIYOM_SKIP_ICALJS=1`` skips these checks.
    """
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: the ical.js checks are skipped on purpose")
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail(f"node and npm are needed to read feeds with ical.js (set {SKIP_ENV}=1 to skip on purpose)")
    if not (JS_DIR / "node_modules" / "ical.js" / "package.json").exists():
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS_DIR,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"npm ci in {JS_DIR} failed:\n{done.stdout}\n{done.stderr}")
    return node


def icaljs_reader(node):
    def read(data):
        done = subprocess.run([node, str(JS_DIR / "read_ics.mjs")], input=data, capture_output=True, timeout=60)
        if done.returncode != 0:
            pytest.fail(f"ical.js could not read the calendar:\n{done.stderr.decode()}")
        raw = json.loads(done.stdout)
        events = [ParsedEvent(uid=e["uid"], sequence=e["sequence"], status=e["status"], start=_utc(e["start"]),
                              end=_utc(e["end"]), summary=e["summary"], location=e["location"] or "",
                              description=e["description"] or "", organizer=e["organizer"] or "")
                  for e in raw["events"]]
        return ParsedCalendar(name=raw["name"], refresh_interval=raw["refresh_interval"], events=events)

    return read


def _text(component, name, default=""):
    item = component.contents.get(name)
    return item[0].value if item else default


def read_with_vobject(data):
    calendar = vobject.readOne(data.decode("utf-8"))
    events = [ParsedEvent(uid=_text(e, "uid"), sequence=int(_text(e, "sequence", "0")), status=_text(e, "status"),
                          start=e.dtstart.value.astimezone(timezone.utc), end=e.dtend.value.astimezone(timezone.utc),
                          summary=_text(e, "summary"), location=_text(e, "location"),
                          description=_text(e, "description"), organizer=_text(e, "organizer"))
              for e in calendar.contents.get("vevent", [])]
    return ParsedCalendar(name=_text(calendar, "x-wr-calname"), refresh_interval=_text(calendar, "refresh-interval"),
                          events=events)


def assert_folded(data):
    """Every line ends in CRLF, holds at most 75 octets and never splits a UTF-8 character."""
    assert data.endswith(b"\r\n")
    for line in data[:-2].split(b"\r\n"):
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 75, line
        line.decode("utf-8")  # a character cut in two by a fold raises here
