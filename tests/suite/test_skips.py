"""tests/skips.py: a skip nobody asked for fails the run; SKIP_* variables skip on purpose."""
import json
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent

EXAMPLE = '''
import pytest
from skips import unavailable

def test_passes():
    pass

def test_needs_redis():
    unavailable("SKIP_REDIS", "redis-server is missing")

@pytest.mark.browser
def test_in_a_browser():
    pass
'''


def run_pytest(tmp_path, source, **env):
    """Run pytest with the plugin on one test file, in a process of its own; returns (status, output, report)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    browser: drives a browser\n")
    (tmp_path / "test_example.py").write_text(source)
    report = tmp_path / "report.json"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SKIP_", "PRIYOM_SKIP_"))}
    environ.update(PYTHONPATH=str(TESTS), PRIYOM_TEST_REPORT=str(report), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **env)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "skips", "-p", "no:cacheprovider", "-rs",
                           str(tmp_path)], check=False, cwd=tmp_path, env=environ, capture_output=True, text=True,
                          timeout=60)
    return done.returncode, done.stdout + done.stderr, json.loads(report.read_text())


def test_a_missing_service_fails_with_the_variable_that_would_skip_it(tmp_path):
    status, output, report = run_pytest(tmp_path, EXAMPLE)
    assert status == 1
    assert "redis-server is missing" in output and "set SKIP_REDIS=1 to skip" in output
    assert (report["passed"], report["failed"], report["skipped"]) == (2, 1, 0)


def test_skipping_on_purpose_passes_and_the_report_names_the_reason(tmp_path):
    status, output, report = run_pytest(tmp_path, EXAMPLE, SKIP_REDIS="1", SKIP_BROWSER="1")
    assert status == 0, output
    assert (report["passed"], report["failed"], report["skipped"], report["unexpected_skips"]) == (1, 0, 2, 0)
    assert report["skip_reasons"] == {
        "SKIP_REDIS=1: redis-server is missing": 1,
        "SKIP_BROWSER=1: the browser tests (Chromium, axe-core through npm) are skipped on purpose": 1,
    }


def test_a_skip_nobody_asked_for_fails_the_run_and_pytest_still_closes_as_usual(tmp_path):
    source = "import pytest\n\ndef test_forgotten():\n    pytest.skip('not today')\n\ndef test_fine():\n    pass\n"
    status, output, report = run_pytest(tmp_path, source)
    assert status == 1
    assert "test_example.py::test_forgotten: not today" in output
    assert "1 test(s) skipped without being asked for: the run FAILS" in output
    assert output.rstrip().splitlines()[-1].strip("= ").startswith("1 passed, 1 skipped in ")
    assert (report["skipped"], report["unexpected_skips"], report["exitstatus"]) == (1, 1, 1)


def test_a_variable_set_for_another_part_does_not_excuse_a_skip(tmp_path):
    source = "import pytest\n\ndef test_forgotten():\n    pytest.skip('SKIP_REDIS=1: looks official')\n"
    status, _output, report = run_pytest(tmp_path, source, SKIP_BROWSER="1")
    assert status == 1 and report["unexpected_skips"] == 1
