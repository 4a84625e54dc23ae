"""A throwaway PostgreSQL cluster for the tests: a free port, a temporary directory, stopped at the end.

Run a command against a fresh cluster (``make test`` runs the whole suite this way)::

    python tests/pg.py [--] python -m pytest ...

The command gets ``TEST_DATABASE_URL`` pointing at an empty database of the
cluster. ``initdb`` and ``pg_ctl`` refuse to run as root, so as root they run
as the ``postgres`` user. When PostgreSQL is not installed the run fails, naming
the package; ``SKIP_POSTGRES=1`` skips it on purpose (the command is not run).
"""
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DATABASE = "priyom_test"


class ClusterError(RuntimeError):
    """The cluster could not be created or started."""


def find_bindir():
    """The directory of ``initdb``/``pg_ctl``: ``$PG_BIN``, Debian's newest version, or ``$PATH``."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: [int(x) if x.isdigit() else 0 for x in p.split("/")[-2].split(".")],
                         reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(os.path.dirname(on_path))
    for bindir in candidates:
        if bindir and os.path.exists(os.path.join(bindir, "initdb")) and os.path.exists(os.path.join(bindir, "pg_ctl")):
            return bindir
    return None


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """One PostgreSQL server in a temporary directory, trusted connections from 127.0.0.1 only."""

    def __init__(self, bindir):
        self.bindir = bindir
        self.port = None
        self.directory = None
        self._as_postgres = os.geteuid() == 0

    @property
    def admin_url(self):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database=DATABASE):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args):
        command = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            raise ClusterError(f"{args[0]} failed:\n{result.stdout}{self._log_tail()}")
        return result.stdout

    def _log_tail(self):
        log = os.path.join(self.directory or "", "log")
        if not os.path.exists(log):
            return ""
        with open(log, encoding="utf-8", errors="replace") as fh:
            return "\n--- server log ---\n" + "".join(fh.readlines()[-20:])

    def start(self, attempts=5):
        """Create the cluster and start it on a free port (retrying if the port is taken meanwhile)."""
        self.directory = tempfile.mkdtemp(prefix="priyom-pg-")
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", os.path.join(self.directory, "data"), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        for attempt in range(attempts):
            self.port = free_port()
            try:
                self.start_server()
                break
            except ClusterError:
                if attempt == attempts - 1:
                    raise
        self.create_database(DATABASE)
        return self

    def start_server(self):
        """Start the server of the existing cluster on ``self.port`` (again, after :meth:`stop_server`)."""
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", os.path.join(self.directory, "data"), "-l",
                  os.path.join(self.directory, "log"), "-w", "-t", "30", "-o", options, "start")

    def stop_server(self, mode="fast"):
        """Stop the server and keep the cluster (``fast`` disconnects every client at once)."""
        self._run("pg_ctl", "-D", os.path.join(self.directory, "data"), "-m", mode, "-w", "stop")

    def stop(self):
        """Stop the server and delete its files; safe to call twice."""
        if self.directory is None:
            return
        data = os.path.join(self.directory, "data")
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            with contextlib.suppress(ClusterError):
                self._run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def _admin(self, statement):
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, name):
        self._admin(f'CREATE DATABASE "{name}"')

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _raise_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv):
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("SKIP_POSTGRES") == "1":
        print("pg.py: SKIP_POSTGRES=1: the PostgreSQL run is skipped on purpose.", file=sys.stderr)
        return 0
    bindir = find_bindir()
    if bindir is None:
        print("pg.py: PostgreSQL is not installed (no initdb/pg_ctl found): install the Debian package "
              "`postgresql` (make test does, as root), set PG_BIN, or skip on purpose with SKIP_POSTGRES=1.",
              file=sys.stderr)
        return 1
    previous = {signum: signal.signal(signum, _raise_on_signal) for signum in (signal.SIGTERM, signal.SIGHUP)}
    cluster = Cluster(bindir)
    child = None
    try:
        started = time.monotonic()
        try:
            cluster.start()
        except ClusterError as exc:
            print(f"pg.py: could not start PostgreSQL: {exc}", file=sys.stderr)
            return 1
        print(f"pg.py: PostgreSQL ({bindir}) on port {cluster.port}, ready in {time.monotonic() - started:.1f} s",
              file=sys.stderr, flush=True)
        env = dict(os.environ, TEST_DATABASE_URL=cluster.url())
        child = subprocess.Popen(command, env=env)
        return child.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=30)
        cluster.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
