"""Fixtures of the fault suite: the PostgreSQL cluster, the settings, and the table of figures at the end."""
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the production tests' tools: pg.py, prod/kit.py

from chaos import figures  # noqa: E402
from pg import Cluster, find_bindir  # noqa: E402


def setting(name, default):
    """``CHAOS_<name>`` from the environment, as a whole number."""
    value = os.environ.get(f"CHAOS_{name}")
    return int(value) if value not in (None, "") else default


@pytest.fixture(scope="session")
def settings():
    return {name: setting(name, default) for name, default in {
        "WORKERS": 4, "CLIENTS": 4, "LOAD_SECONDS": 30, "DB_DOWN_SECONDS": 4, "RECOVERY_SECONDS": 5,
        "MESSAGES": 300, "MAIL_DEADLINE_SECONDS": 60, "REFUSE_SECONDS": 60, "REDIS_DOWN_SECONDS": 8,
    }.items()}


@pytest.fixture(scope="session")
def cluster():
    """A throwaway PostgreSQL cluster for the whole run (restarted in place by the bookings scenario)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL is not installed (no initdb/pg_ctl): the fault suite runs on PostgreSQL only")
    with Cluster(bindir) as server:
        yield server


@pytest.fixture(scope="session")
def confirmations(cluster, settings):
    """A database holding ``CHAOS_MESSAGES`` bookings whose confirmations wait in the outbox, to copy from."""
    from chaos.data import new_database, queue_confirmations

    name = "chaos_confirmations"
    queue_confirmations(new_database(cluster, name), settings["MESSAGES"])
    return name


@pytest.fixture
def mail_database(cluster, confirmations, request):
    """A fresh copy of the ``confirmations`` database for one test; returns its URL."""
    from chaos.data import new_database

    return new_database(cluster, f"chaos_{request.node.name[:40]}", template=confirmations)


@pytest.fixture
def redis_available():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (Debian's redis-server package)")


def pytest_terminal_summary(terminalreporter):
    if figures.ROWS:
        terminalreporter.section("fault tolerance figures")
        terminalreporter.write_line(figures.table(figures.ROWS))
