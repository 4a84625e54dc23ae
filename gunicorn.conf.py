"""gunicorn settings for Priyom: ``make serve``, or ``gunicorn app:app`` run from this directory.

Environment: ``PORT`` (default 8000), ``BIND`` (overrides the address, e.g.
``unix:/run/priyom.sock``), ``WEB_CONCURRENCY`` (worker processes, default two
per CPU), ``ACCESS_LOG`` (a file, ``-`` for standard output, default ``-``).

The access log records the path without its query string and no Referer, so
manage tokens (``?token=…``) never reach it; the application also redacts
tokens from gunicorn's own error messages.
"""
import logging
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
    _application_logs_to_error_log(worker)
    if worker.age == 1:  # the first worker of this start, not every worker nor every recycled one
        _warn_of_per_process_limits(worker)
    worker.log.info("Worker ready (pid: %s)", worker.pid)


# Loggers that belong in gunicorn's error log, from this level on: the application's warnings, and the abuse
# limits' storage going away and coming back.
APPLICATION_LOGGERS = {"booking": logging.WARNING, "flask-limiter": logging.INFO}


def _application_logs_to_error_log(worker):
    error_log = logging.getLogger("gunicorn.error")
    for name, level in APPLICATION_LOGGERS.items():
        logger = logging.getLogger(name)
        for handler in error_log.handlers:
            if handler not in logger.handlers:
                logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


def _warn_of_per_process_limits(worker):
    """Several workers counting abuse limits in their own memory make every limit that many times looser."""
    config = getattr(worker.wsgi, "config", {})
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if worker.cfg.workers > 1 and config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory://"):
        worker.log.warning(
            "RATELIMIT_STORAGE_URI is memory:// with %d workers: each worker counts the abuse limits on its own, "
            "so every limit is up to %d times looser and a restart forgets the counts. Set "
            "RATELIMIT_STORAGE_URI=redis://… (see the README).", worker.cfg.workers, worker.cfg.workers)
