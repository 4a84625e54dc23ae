"""The mail server drops the connection in the middle of a batch, then refuses mail for a while.

It cuts the connection mid-message after ``DROP_AFTER`` messages, then for
``CHAOS_REFUSE_SECONDS`` greets with ``421`` (first half) and does not listen
at all (second half). The worker retries with back-off (lowered through
``MAIL_RETRY_*`` so that the test does not wait hours): every message must
arrive, none twice, none marked failed, and delivery must resume within
``RESUME_SECONDS`` of the server accepting again.
"""
import time

import pytest

from chaos import figures
from chaos.data import outbox_statuses, pending_message_ids
from chaos.servers import MailWorker, SmtpSink, wait_for

DROP_AFTER = 50
DELAY = 0.01
RETRY_BASE_SECONDS = 2
RETRY_MAX_SECONDS = 15  # ten attempts then span more than a minute and a half of refusal
RESUME_SECONDS = RETRY_MAX_SECONDS + 15  # the longest back-off, a worker round and the sending itself


def test_mail_server_outage_mid_batch_loses_and_repeats_nothing(mail_database, settings, tmp_path):
    expected = pending_message_ids(mail_database)
    refuse = settings["REFUSE_SECONDS"]
    sink = SmtpSink(tmp_path, delay=DELAY, drop_after=DROP_AFTER, refuse_seconds=refuse).start()
    worker = MailWorker(mail_database, sink.port, tmp_path, MAIL_RETRY_BASE_SECONDS=RETRY_BASE_SECONDS,
                        MAIL_RETRY_MAX_SECONDS=RETRY_MAX_SECONDS).start()
    try:
        assert wait_for(lambda: "drop" in sink.events(), 60), "the sink never dropped the connection"
        wait_for(lambda: "accepting" in sink.events(), refuse + 10, interval=0.2)
        wait_for(lambda: expected <= set(sink.counts()), RESUME_SECONDS + 30, interval=0.2)
    finally:
        worker.stop()
        sink.stop()

    events = sink.events()
    counts = sink.counts()
    missing = expected - set(counts)
    duplicates = sum(n - 1 for n in counts.values())
    statuses = outbox_statuses(mail_database)
    back = events.get("accepting")
    after = [at for at, _id in sink.deliveries() if back is not None and at >= back]
    row = figures.Row("mail_server",
                      load=f"{len(expected)} confirmations, back-off {RETRY_BASE_SECONDS}–{RETRY_MAX_SECONDS} s",
                      faults=f"cut after {DROP_AFTER}, refused {refuse} s (421, closed port)",
                      acknowledged=len(set(counts) & expected), lost=len(missing), duplicates=duplicates,
                      recovery_s=(max(after) - back) if after and not missing else None)
    row.notes.append(f"outbox at the end: {dict(statuses)}; first message after the outage "
                     f"{(min(after) - back) if after else float('nan'):.1f} s after the server accepted again")
    row.check(not missing, f"{len(missing)} message(s) not delivered "
                           f"{time.monotonic() - back if back else float('nan'):.0f} s after the outage ended")
    row.check(duplicates == 0, f"{duplicates} message(s) sent twice")
    row.check(statuses.get("failed", 0) == 0, f"{statuses.get('failed', 0)} message(s) given up as failed")
    row.check(row.recovery_s is not None and row.recovery_s <= RESUME_SECONDS,
              f"delivery did not finish within {RESUME_SECONDS} s of the server's return")
    figures.record(row)
    if row.problems:
        pytest.fail(row.failure_message(), pytrace=False)
