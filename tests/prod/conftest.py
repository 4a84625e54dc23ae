"""Fixtures of the production tests; the tools themselves are in kit.py."""
import pytest

from prod.kit import scratch_database


@pytest.fixture
def scratch_url(tmp_path):
    """A new, empty database of the run's kind (SQLite file or PostgreSQL database), dropped afterwards."""
    with scratch_database(tmp_path) as url:
        yield url
