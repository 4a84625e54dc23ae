"""tests/run_suite.py: the runs of make test and the line each one ends with."""
import sys

import run_suite

REPORT = {"exitstatus": 0, "passed": 830, "failed": 0, "errors": 0, "skipped": 0, "deselected": 0,
          "xfailed": 0, "xpassed": 0, "skip_reasons": {}, "unexpected_skips": 0, "seconds": 301.4}


def test_a_clean_run_says_ok_with_its_counts():
    line = run_suite.summary_line("SQLite run", REPORT, 0)
    assert line == "make test: SQLite run: ok: passed 830, failed 0, skipped 0; 301 s"


def test_skips_are_listed_with_their_reasons_and_those_nobody_asked_for_are_counted():
    report = dict(REPORT, exitstatus=1, passed=700, skipped=46, deselected=120, unexpected_skips=1,
                  skip_reasons={"SKIP_BROWSER=1: the browser tests are skipped on purpose": 40,
                                "SKIP_REDIS=1: redis-server is missing": 5, "not today": 1})
    line = run_suite.summary_line("PostgreSQL run", report, 1)
    assert line == ("make test: PostgreSQL run: FAILED: passed 700, failed 0, skipped 46 (SKIP_BROWSER=1 ×40; "
                    "SKIP_REDIS=1 ×5; not today ×1), 1 of them not asked for, deselected 120; 301 s")


def test_a_run_that_never_started_or_was_skipped_on_purpose_says_so():
    assert "FAILED before any test ran (exit status 1" in run_suite.summary_line("PostgreSQL run", None, 1)
    assert run_suite.summary_line("PostgreSQL run", None, 0, skipped_on_purpose="SKIP_POSTGRES=1") == (
        "make test: PostgreSQL run: not run, skipped on purpose (SKIP_POSTGRES=1)")


def test_the_postgresql_run_leaves_what_needs_no_database_to_sqlite_and_keeps_the_given_arguments():
    assert run_suite.command("sqlite", ["-x"], python="py") == ["py", "-m", "pytest", "-x"]
    command = run_suite.command("postgresql", ["-x"], python="py")
    assert command[:6] == ["py", str(run_suite.HERE / "pg.py"), "py", "-m", "pytest", "-m"]
    assert command[6] == "not browser" and command[-1] == "-x"
    ignored = {command[i + 1] for i, arg in enumerate(command) if arg == "--ignore"}
    assert ignored == {str(run_suite.HERE / "unit"), str(run_suite.HERE / "suite"),
                       str(run_suite.HERE / "feeds" / "test_feed_calendar_writer.py")}


def test_skip_postgres_runs_nothing(monkeypatch):
    monkeypatch.setenv("SKIP_POSTGRES", "1")
    monkeypatch.setattr(run_suite.subprocess, "run", lambda *a, **k: sys.exit("must not run"))
    line, status = run_suite.run_once("postgresql", [])
    assert status == 0 and "skipped on purpose (SKIP_POSTGRES=1)" in line
