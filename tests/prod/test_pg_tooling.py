"""tests/pg.py, which gives ``make test`` its PostgreSQL run."""
import glob
import os
import socket
import tempfile

import pytest
import sqlalchemy as sa

import pg


def test_without_postgresql_ci_fails_and_elsewhere_the_run_is_skipped_loudly(monkeypatch, capsys):
    monkeypatch.setattr(pg, "find_bindir", lambda: None)
    monkeypatch.setenv("CI", "true")
    assert pg.main(["true"]) == 1
    assert "CI must test on PostgreSQL" in capsys.readouterr().err
    monkeypatch.delenv("CI")
    assert pg.main(["true"]) == 0
    assert "SKIPPED" in capsys.readouterr().err


@pytest.mark.slow
def test_the_cluster_is_stopped_and_removed_even_when_the_command_fails(tmp_path):
    if pg.find_bindir() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL must be installed in CI")
        pytest.skip("PostgreSQL is not installed here")
    pattern = os.path.join(tempfile.gettempdir(), "priyom-pg-*")
    before = set(glob.glob(pattern))
    out = tmp_path / "url"

    assert pg.main(["sh", "-c", f'echo "$TEST_DATABASE_URL" > {out}; exit 3']) == 3

    url = sa.engine.make_url(out.read_text().strip())
    assert url.drivername == "postgresql+psycopg" and url.database == pg.DATABASE
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", url.port), timeout=2).close()
    assert set(glob.glob(pattern)) <= before
