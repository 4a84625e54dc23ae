"""Skipping on purpose only: a test that is skipped without being asked for fails the run.

Loaded as a pytest plugin (``-p skips`` in pytest.ini). A part of the suite that
needs something from the machine (Chromium, PostgreSQL, Redis, Kannel, node)
calls ``unavailable(VARIABLE, reason)`` when it is missing: with ``VARIABLE=1``
in the environment the test is skipped, otherwise it fails with the reason and
the variable that would skip it. Any other skip — a forgotten ``pytest.skip``, a
skip marker, ``importorskip`` — makes the run fail at the end, with the list of
those tests; the closing line of pytest stays as it is.

``SKIP_BROWSER=1`` also skips every test marked ``browser`` before it starts.

With ``PRIYOM_TEST_REPORT=path`` the counts of the run (passed, failed,
skipped with their reasons…) are written there as JSON for ``tests/run_suite.py``.
"""
import json
import os
import time
from collections import Counter

import pytest

# The only ways to skip tests, and what each one skips.
VARIABLES = {
    "SKIP_BROWSER": "the browser tests (Chromium, axe-core through npm)",
    "SKIP_POSTGRES": "the PostgreSQL run and the tests that start their own PostgreSQL",
    "SKIP_REDIS": "the tests that need a Redis server (redis-server)",
    "SKIP_KANNEL": "the tests that send SMS through Kannel (bearerbox, smsbox, fakesmsc)",
    "PRIYOM_SKIP_ICALJS": "the calendar checks with Mozilla's ical.js (node, npm)",
}


def asked_to_skip(variable):
    """Whether the person running the tests set ``variable=1``."""
    assert variable in VARIABLES, f"{variable} is not one of {', '.join(VARIABLES)}"
    return os.environ.get(variable) == "1"


def unavailable(variable, reason):
    """Something the test needs is missing: skip if ``variable=1`` was set, fail otherwise."""
    if asked_to_skip(variable):
        pytest.skip(f"{variable}=1: {reason}")
    pytest.fail(f"{reason}. `make test` installs it (as root with apt-get); set {variable}=1 to skip "
                f"{VARIABLES[variable]} on purpose.", pytrace=False)


def on_purpose(reason):
    """The variable that asked for a skip with this reason, or None when nobody asked for it."""
    variable, sep, _rest = reason.partition("=1: ")
    if sep and variable in VARIABLES and os.environ.get(variable) == "1":
        return variable
    return None


def skip_reason(report):
    """The text of a skipped report's reason, without pytest's ``Skipped:`` prefix."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("SKIP_BROWSER") == "1":
        marker = pytest.mark.skip(reason=f"SKIP_BROWSER=1: {VARIABLES['SKIP_BROWSER']} are skipped on purpose")
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(marker)


class SkipWatch:
    """Collects the skips of a session and turns the ones nobody asked for into a failure."""

    def __init__(self):
        self.started = time.monotonic()
        self.reasons = Counter()
        self.unexpected = []
        self.exitstatus = None

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        if not report.skipped or hasattr(report, "wasxfail"):
            return
        reason = skip_reason(report)
        self.reasons[reason] += 1
        if on_purpose(reason) is None:
            self.unexpected.append((report.nodeid, reason))

    @pytest.hookimpl
    def pytest_sessionfinish(self, session):
        if self.unexpected and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.exitstatus = session.exitstatus

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter, exitstatus, config):
        if self.unexpected:
            terminalreporter.section("skipped without being asked for", sep="!", red=True, bold=True)
            for nodeid, reason in self.unexpected[:30]:
                terminalreporter.line(f"{nodeid}: {reason}")
            if len(self.unexpected) > 30:
                terminalreporter.line(f"… and {len(self.unexpected) - 30} more")
            terminalreporter.line(
                f"{len(self.unexpected)} test(s) skipped without being asked for: the run FAILS. Install what "
                f"they need, or skip on purpose with one of {', '.join(f'{v}=1' for v in VARIABLES)}.",
                red=True, bold=True)
        path = os.environ.get("PRIYOM_TEST_REPORT")
        if path:
            self.write_report(path, terminalreporter, exitstatus if self.exitstatus is None else self.exitstatus)

    def write_report(self, path, terminalreporter, exitstatus):
        stats = terminalreporter.stats

        def count(key):
            return len(stats.get(key, []))

        report = {
            "exitstatus": int(exitstatus),
            "passed": count("passed"),
            "failed": count("failed"),
            "errors": count("error"),
            "skipped": sum(self.reasons.values()),
            "deselected": len(stats.get("deselected", [])),
            "xfailed": count("xfailed"),
            "xpassed": count("xpassed"),
            "skip_reasons": dict(self.reasons),
            "unexpected_skips": len(self.unexpected),
            "seconds": round(time.monotonic() - self.started, 1),
        }
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(report, fh, ensure_ascii=False, indent=1)


def pytest_configure(config):
    config.pluginmanager.register(SkipWatch(), "priyom-skip-watch")
