"""tests/system_packages.py: what make test installs, and what it says when it may not."""
import io
import subprocess
import sys
import time
from pathlib import Path

import system_packages

HERE = Path(system_packages.__file__)
NOTHING = {}


def fake_packages(installed):
    return {name: (variables, lambda name=name: name in installed)
            for name, (variables, _check) in system_packages.PACKAGES.items()}


def test_every_part_of_the_suite_names_its_packages(monkeypatch):
    monkeypatch.setattr(system_packages, "PACKAGES", fake_packages(installed=set()))
    assert system_packages.missing(NOTHING) == ["postgresql", "chromium", "nodejs", "npm", "redis-server",
                                                "kannel", "kannel-extras"]
    assert system_packages.missing({"SKIP_BROWSER": "1", "SKIP_KANNEL": "1"}) == [
        "postgresql", "nodejs", "npm", "redis-server"]
    # node and npm serve the calendar checks too: only skipping both parts spares them.
    assert "npm" not in system_packages.missing({"SKIP_BROWSER": "1", "PRIYOM_SKIP_ICALJS": "1"})
    assert system_packages.missing({"SKIP_BROWSER": "yes"})[:2] == ["postgresql", "chromium"]


def test_without_root_it_stops_at_once_naming_the_packages_and_the_variables(monkeypatch):
    monkeypatch.setattr(system_packages, "PACKAGES", fake_packages(installed={"postgresql", "nodejs", "npm",
                                                                              "kannel", "kannel-extras"}))
    calls, out = [], io.StringIO()
    status = system_packages.main(NOTHING, is_root=False, has_apt=True, run=lambda *a, **k: calls.append(a), out=out)
    assert status == 1 and calls == []
    assert "missing: chromium redis-server" in out.getvalue()
    assert "apt-get install chromium redis-server" in out.getvalue()
    assert "SKIP_BROWSER=1 SKIP_REDIS=1" in out.getvalue()
    out = io.StringIO()
    assert system_packages.main(NOTHING, is_root=True, has_apt=False, run=None, out=out) == 1
    assert "no apt-get" in out.getvalue()


def test_as_root_with_apt_it_updates_once_then_installs_what_is_missing(monkeypatch):
    monkeypatch.setattr(system_packages, "PACKAGES", fake_packages(installed={"postgresql", "chromium",
                                                                              "nodejs", "npm"}))
    calls = []
    status = system_packages.main(NOTHING, is_root=True, has_apt=True,
                                  run=lambda args, **kw: calls.append(args), out=io.StringIO())
    assert status == 0
    assert calls == [["apt-get", "update", "-qq"],
                     ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server", "kannel",
                      "kannel-extras"]]


def test_when_nothing_is_missing_it_is_instant_and_silent():
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(HERE)], check=False, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), "this machine lacks a package of the suite"
    assert time.monotonic() - started < 2
