"""Fixtures of the production tests; the tools themselves are in kit.py."""
import pytest

from prod.kit import scratch_database
from prod.redis_kit import RedisServer


@pytest.fixture
def scratch_url(tmp_path):
    """A new, empty database of the run's kind (SQLite file or PostgreSQL database), dropped afterwards."""
    with scratch_database(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def limits_redis():
    """A real Redis server for the shared abuse limits, started once for the run."""
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()
