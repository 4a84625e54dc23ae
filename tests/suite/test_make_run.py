"""make run: the demonstration on another port mails links to that port, and prints a staff command that works."""
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def dry_run(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_BASE_URL", "MAKEFLAGS", "MFLAGS")}
    env.update(env_extra or {})
    # -n prints the recipe without running it; the prerequisites are made to look up to date.
    result = subprocess.run(["make", "-n", "-o", "install", "run", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    return result.stdout


def test_links_in_the_demo_mailbox_point_to_the_port_the_demonstration_serves_on():
    recipe = dry_run("PORT=8123")
    serve = next(line for line in recipe.splitlines() if " run --host" in line)
    assert "PUBLIC_BASE_URL=" in serve and "http://127.0.0.1:8123/" in serve


def test_the_printed_staff_command_finds_the_demonstrations_secret_key():
    recipe = dry_run()
    hint = next(line for line in recipe.splitlines() if "create-user" in line)
    assert "DEMO_MODE=1 .venv/bin/flask --app app create-user" in hint
