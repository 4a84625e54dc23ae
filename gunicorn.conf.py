"""gunicorn settings for Priyom: ``make serve``, or ``gunicorn app:app`` run from this directory.

Environment: ``PORT`` (default 8000), ``BIND`` (overrides the address, e.g.
``unix:/run/priyom.sock``), ``WEB_CONCURRENCY`` (worker processes, default two
per CPU), ``ACCESS_LOG`` (a file, ``-`` for standard output, default ``-``).

The access log records the path without its query string and no Referer, so
manage tokens (``?token=…``) never reach it; the application also redacts
tokens from gunicorn's own error messages.
"""
import multiprocessing
import os

bind = [os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, multiprocessing.cpu_count() * 2))
worker_class = "sync"
# A request waits at most DATABASE_LOCK_TIMEOUT_MS (10 s) for the database, well inside this.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak never becomes an outage.
max_requests = 2000
max_requests_jitter = 200

# gunicorn's runtime control socket lives at one path per user; Priyom does not use it, and two
# instances on one machine would fight over it.
control_socket_disable = True

accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"
# %(U)s is the path without the query string; no %(r)s (request line) and no %(f)s (Referer).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'


def post_worker_init(worker):
    """Say when a worker has loaded the application and accepts requests."""
    worker.log.info("Worker ready (pid: %s)", worker.pid)
