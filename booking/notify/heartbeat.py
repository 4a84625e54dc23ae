"""A delivery worker's sign of life, so that its claims are taken back soon after it dies and never before.

While a worker delivers a batch, a thread of its own refreshes the worker's
row in ``delivery_worker`` every ``MAIL_HEARTBEAT_SECONDS``, each time in a
short transaction of its own, however long one SMTP exchange takes. Claims
whose owner's heartbeat is older than ``MAIL_WORKER_DEAD_SECONDS`` belong to a
worker that died (killed, out of memory, its machine gone): the next delivery
round of any worker puts them back.
"""
import logging
import threading

import sqlalchemy as sa

from ..core.timeutil import now_utc
from ..models import DeliveryWorker

log = logging.getLogger("booking.notify")
_WORKERS = DeliveryWorker.__table__


class Heartbeat:
    """``with Heartbeat(engine, worker_id, interval):`` keeps the worker's row fresh while the block runs."""

    def __init__(self, engine, worker_id, interval, clock=now_utc):
        self.engine, self.worker_id, self.interval, self.clock = engine, worker_id, interval, clock
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(_WORKERS.insert().values(id=self.worker_id, started_at=now, heartbeat_at=now))
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat {self.worker_id}", daemon=True)
        self._thread.start()
        return self

    def _beat(self):
        while not self._stop.wait(self.interval):
            try:
                with self.engine.begin() as conn:
                    conn.execute(_WORKERS.update().where(_WORKERS.c.id == self.worker_id)
                                 .values(heartbeat_at=self.clock()))
            except sa.exc.SQLAlchemyError as exc:  # the database away for a moment: beat again later
                log.warning("delivery worker heartbeat failed: %s", exc)

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join()
        try:
            with self.engine.begin() as conn:
                conn.execute(_WORKERS.delete().where(_WORKERS.c.id == self.worker_id))
        except sa.exc.SQLAlchemyError as exc:
            log.warning("delivery worker could not sign off: %s", exc)
        return False


def live_workers(since):
    """A subquery of the workers whose heartbeat is no older than ``since``."""
    return sa.select(_WORKERS.c.id).where(_WORKERS.c.heartbeat_at >= since)


def forget_dead_workers(conn, since):
    """Drop the rows of workers silent since before ``since`` (those that died without signing off)."""
    conn.execute(_WORKERS.delete().where(_WORKERS.c.heartbeat_at < since))
