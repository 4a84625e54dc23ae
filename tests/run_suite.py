"""The runs of ``make test`` and the summary at its end: one line per run.

    python tests/run_suite.py [sqlite] [postgresql] [-- PYTEST_ARGS...]

The SQLite run is the whole suite; the PostgreSQL run is the suite again,
without the browser tests (they serve their own SQLite database), on a
throwaway cluster of ``tests/pg.py``. Both runs happen even when the first
fails; the exit status is non-zero if either failed. Each run's pytest output,
its closing line included, is shown as it is; the summary follows, one line
per run, with the reasons of any skips (see tests/skips.py).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = {
    "sqlite": ("SQLite run", []),
    "postgresql": ("PostgreSQL run", [str(HERE / "pg.py")]),
}
# The second run repeats what depends on the database; the unit, catalog, suite-tooling and
# calendar-writing tests (and the browser's, served from SQLite) ran once in the first.
POSTGRES_ONLY = ["-m", "not browser", "--ignore", str(HERE / "unit"), "--ignore", str(HERE / "suite"),
                 "--ignore", str(HERE / "feeds" / "test_feed_calendar_writer.py")]


def command(run, pytest_args, python=sys.executable):
    """The command line of one run."""
    wrapper = RUNS[run][1]
    extra = POSTGRES_ONLY if run == "postgresql" else []
    return [python, *wrapper, python, "-m", "pytest", *extra, *pytest_args] if wrapper else \
        [python, "-m", "pytest", *extra, *pytest_args]


def reasons(skip_reasons):
    """``SKIP_BROWSER=1 ×12; no redis ×1`` — each distinct reason once, with its count."""
    grouped = Counter()
    for reason, n in skip_reasons.items():
        variable, sep, _ = reason.partition("=1: ")
        grouped[f"{variable}=1" if sep else reason] += n
    return "; ".join(f"{reason} ×{n}" for reason, n in grouped.most_common())


def summary_line(label, report, exitstatus, skipped_on_purpose=None):
    """One line saying how a run went; the numbers come after their words, unlike pytest's closing line."""
    if skipped_on_purpose:
        return f"make test: {label}: not run, skipped on purpose ({skipped_on_purpose})"
    if report is None:
        return f"make test: {label}: FAILED before any test ran (exit status {exitstatus}; see above)"
    verdict = "ok" if exitstatus == 0 else "FAILED"
    parts = [f"passed {report['passed']}", f"failed {report['failed']}"]
    if report["errors"]:
        parts.append(f"errors {report['errors']}")
    skipped = f"skipped {report['skipped']}"
    if report["skipped"]:
        skipped += f" ({reasons(report['skip_reasons'])})"
        if report["unexpected_skips"]:
            skipped += f", {report['unexpected_skips']} of them not asked for"
    parts.append(skipped)
    if report["deselected"]:
        parts.append(f"deselected {report['deselected']}")
    return f"make test: {label}: {verdict}: {', '.join(parts)}; {report['seconds']:.0f} s"


def run_once(run, pytest_args):
    """Run one of RUNS; returns its summary line and exit status."""
    label = RUNS[run][0]
    if run == "postgresql" and os.environ.get("SKIP_POSTGRES") == "1":
        return summary_line(label, None, 0, skipped_on_purpose="SKIP_POSTGRES=1"), 0
    with tempfile.TemporaryDirectory(prefix="priyom-run-") as folder:
        path = Path(folder) / "report.json"
        env = dict(os.environ, PRIYOM_TEST_REPORT=str(path))
        print(f"\nmake test: {label}", flush=True)
        status = subprocess.run(command(run, pytest_args), env=env, check=False).returncode
        report = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    return summary_line(label, report, status), status


def main(argv):
    runs, pytest_args = argv, []
    if "--" in argv:
        at = argv.index("--")
        runs, pytest_args = argv[:at], argv[at + 1:]
    runs = runs or list(RUNS)
    unknown = [r for r in runs if r not in RUNS]
    if unknown:
        print(f"unknown run(s): {', '.join(unknown)}; choose from {', '.join(RUNS)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        results = [run_once(run, pytest_args) for run in runs]
    except KeyboardInterrupt:
        print("\nmake test: interrupted", file=sys.stderr)
        return 130
    print()
    for line, _status in results:
        print(line)
    failed = any(status != 0 for _line, status in results)
    print(f"make test: {'FAILED' if failed else 'all runs passed'} in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
