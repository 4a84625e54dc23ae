"""The README's commands, run as written on a fresh clone after what ``make run`` does.

The clone (``kit.fresh_clone``) is a ``git clone`` of this repository with the
working tree's uncommitted changes laid over it, so the test checks the code
under test; it reuses this machine's virtual environment through a ``.venv``
link to its absolute path. No server is started: ``make run``'s ``init-db`` and
``seed-demo`` are run with ``DEMO_MODE=1`` and a ``PORT``, as the Makefile does.
"""
import os
import re
import shlex
import signal
import subprocess
import time

import pytest

from prod.kit import ROOT, fresh_clone

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"
PORT = "8765"
# Settings of the machine that would make the clone something other than a fresh demonstration.
CLEARED = ("SECRET_KEY", "DEMO_MODE", "DATABASE_URL", "PUBLIC_BASE_URL", "PORT", "TEST_DATABASE_URL")


def readme_commands(section_titles):
    """The ``flask`` command lines of the README's sections named ``section_titles``, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    chosen = [s for s in sections[1:] if s.split("\n", 1)[0].strip() in section_titles]
    commands = []
    for section in chosen:
        for line in section.splitlines():
            if re.match(r"\s*(\.venv/bin/)?flask --app ", line):
                commands.append(shlex.split(line, comments=True))
    return commands


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("FLASK_")}
    return {**env, **extra}


def run(clone, words, env=None, stdin="", timeout=120):
    """Run a command line in the clone, without a terminal (so a hidden prompt reads standard input)."""
    return subprocess.run(words, cwd=clone, env=env or clean_env(), input=stdin, capture_output=True, text=True,
                          timeout=timeout, start_new_session=True)


def asks_for_a_password(words):
    return words[-1:] != ["--help"] and words[3] in ("create-user", "set-password") and "--password" not in words


def run_long_running(clone, words, env=None):
    """Start a command that loops; it must still be running, quietly, after a few seconds."""
    process = subprocess.Popen(words, cwd=clone, env=env or clean_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(4)
    alive = process.poll() is None
    process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return alive, out, err


@pytest.fixture(scope="module")
def demo_clone(tmp_path_factory):
    """A fresh clone after ``make run``'s own commands: the database created and the demo divisions added."""
    clone = fresh_clone(tmp_path_factory.mktemp("readme"))
    for words in (["init-db"], ["seed-demo", "--if-empty"]):
        result = run(clone, [".venv/bin/flask", "--app", "app", *words], env=clean_env(DEMO_MODE="1", PORT=PORT))
        assert result.returncode == 0, result.stderr
    return clone


def test_every_command_of_the_readme_works_as_written_after_make_run(demo_clone):
    commands = readme_commands({"Two commands", "The first ten minutes", "Commands",
                                "Staff: heads of divisions, hotline operators, administrators"})
    # The administrator of "The first ten minutes", the Commands section, then the staff section's examples.
    assert len(commands) >= 18 and commands[0][3] == "create-user"
    assert ["api-key", "create"] in [words[3:5] for words in commands]
    for words in commands:
        words = [".venv/bin/flask", *words[1:]] if words[0] == "flask" else words
        shown = shlex.join(words)
        if words[3] == "mail-worker":
            alive, _out, err = run_long_running(demo_clone, words)
            assert alive and "Traceback" not in err, f"{shown}:\n{err}"
            continue
        result = run(demo_clone, words, stdin=f"{PASSWORD}\n{PASSWORD}\n" if asks_for_a_password(words) else "")
        assert result.returncode == 0, f"{shown}:\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr, f"{shown}:\n{result.stderr}"
        if words[3:5] == ["api-key", "create"]:
            # The new key alone on the last line, ready to copy.
            assert re.fullmatch(r"pk_[A-Za-z0-9_-]{20,}", result.stdout.strip().splitlines()[-1]), result.stdout
        if words[3] == "feed-url":
            # Links of a demonstration point to the port it serves on, not to a default.
            assert result.stdout.startswith(f"http://127.0.0.1:{PORT}/feeds/agenda/"), result.stdout


@pytest.mark.parametrize("production", [
    {"env": {"DEMO_MODE": "0"}},
    {"env": {"SECRET_KEY": ""}},
    {"config": "PUBLIC_BASE_URL = 'https://priyom.example.ru/'\n"},
], ids=["DEMO_MODE=0", "empty SECRET_KEY", "instance/config.py"])
def test_a_production_setting_still_refuses_a_missing_key_in_one_line(demo_clone, production):
    config = demo_clone / "instance" / "config.py"
    if "config" in production:
        config.write_text(production["config"], encoding="utf-8")
    try:
        result = run(demo_clone, [".venv/bin/flask", "--app", "app", "feed-url", "severny-filial"],
                     env=clean_env(**production.get("env", {})))
    finally:
        config.unlink(missing_ok=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "SECRET_KEY is not set" in line


def test_production_without_a_public_address_refuses_to_start_in_one_line(demo_clone):
    result = run(demo_clone, [".venv/bin/flask", "--app", "app", "db", "upgrade"],
                 env=clean_env(SECRET_KEY="k" * 40))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "PUBLIC_BASE_URL is not set" in line
