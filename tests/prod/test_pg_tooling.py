"""tests/pg.py, which gives ``make test`` its PostgreSQL run."""
import os
import socket
import tempfile

import pytest
import sqlalchemy as sa

import pg
from skips import unavailable


def test_without_postgresql_the_run_fails_unless_skipped_on_purpose(monkeypatch, capsys):
    monkeypatch.setattr(pg, "find_bindir", lambda: None)
    monkeypatch.delenv("SKIP_POSTGRES", raising=False)
    assert pg.main(["true"]) == 1
    assert "`postgresql`" in capsys.readouterr().err
    monkeypatch.setenv("SKIP_POSTGRES", "1")
    assert pg.main(["false"]) == 0, "the command must not run at all"
    assert "skipped on purpose" in capsys.readouterr().err


@pytest.mark.slow
def test_the_cluster_is_stopped_and_removed_even_when_the_command_fails(tmp_path, monkeypatch):
    if pg.find_bindir() is None:
        unavailable("SKIP_POSTGRES", "PostgreSQL is not installed (Debian package postgresql)")
    monkeypatch.delenv("SKIP_POSTGRES", raising=False)
    # The cluster's own folder, not a glob: other test runs on the machine may be making theirs meanwhile.
    folders = []
    make_folder = tempfile.mkdtemp
    monkeypatch.setattr(pg.tempfile, "mkdtemp", lambda **kw: folders.append(make_folder(**kw)) or folders[-1])
    out = tmp_path / "url"

    assert pg.main(["sh", "-c", f'echo "$TEST_DATABASE_URL" > {out}; exit 3']) == 3

    url = sa.engine.make_url(out.read_text().strip())
    assert url.drivername == "postgresql+psycopg" and url.database == pg.DATABASE
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", url.port), timeout=2).close()
    assert len(folders) == 1 and folders[0].startswith(os.path.join(tempfile.gettempdir(), "priyom-pg-"))
    assert not os.path.exists(folders[0])
