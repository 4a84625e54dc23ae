"""The mail worker stopped in the middle of a batch of confirmations, then started again.

SIGKILL (a crash, an OOM kill): every message must arrive within
``CHAOS_MAIL_DEADLINE_SECONDS`` of the kill, none more than once except the
one in flight. SIGTERM (a deploy): the worker finishes the message in flight,
gives the rest of its batch back at once and exits; a new worker delivers
them straight away, none twice. The SMTP server takes ``DELAY`` seconds per
message so that a batch lasts long enough to be interrupted.
"""
import signal
import time

import pytest

from chaos import figures
from chaos.data import outbox_statuses, pending_message_ids
from chaos.servers import MailWorker, SmtpSink, wait_for

DELAY = 0.02
STOP_AFTER = 40  # messages delivered before the worker is stopped: mid-way through the first batch of 100
TERM_EXIT_SECONDS = 5  # a stopped worker finishes one message, releases the rest and exits within this


def delivery_figures(row, expected, sink):
    """Fill in acknowledged, lost and duplicates from what the sink accepted; returns (missing, duplicates)."""
    counts = sink.counts()
    missing = expected - set(counts)
    duplicates = sum(n - 1 for n in counts.values())
    row.acknowledged, row.lost, row.duplicates = len(set(counts) & expected), len(missing), duplicates
    unexpected = set(counts) - expected
    row.check(not unexpected, f"{len(unexpected)} message(s) nobody queued")
    return missing, duplicates


def all_arrived(sink, expected):
    return expected <= set(sink.counts())


def test_mail_worker_sigkill_mid_batch_loses_and_repeats_nothing(mail_database, settings, tmp_path):
    expected = pending_message_ids(mail_database)
    deadline = settings["MAIL_DEADLINE_SECONDS"]
    sink = SmtpSink(tmp_path, delay=DELAY).start()
    first = MailWorker(mail_database, sink.port, tmp_path).start()
    second = MailWorker(mail_database, sink.port, tmp_path)
    try:
        assert wait_for(lambda: len(sink.deliveries()) >= STOP_AFTER or not first.running(), 60), "nothing sent"
        first.signal(signal.SIGKILL)
        killed = time.monotonic()
        first.process.wait(timeout=10)
        second.start()
        wait_for(lambda: all_arrived(sink, expected), deadline - (time.monotonic() - killed), interval=0.2)
        waited = time.monotonic() - killed
    finally:
        second.stop()
        first.stop()
        sink.stop()

    row = figures.Row("sigkill",
                      load=f"{len(expected)} confirmations, batch 100, {DELAY * 1000:.0f} ms/message",
                      faults=f"SIGKILL after {STOP_AFTER} sent")
    missing, duplicates = delivery_figures(row, expected, sink)
    deliveries = sink.deliveries()
    if not missing:
        row.recovery_s = max(at for at, _id in deliveries) - killed
    stuck = outbox_statuses(mail_database)
    row.notes.append(f"outbox after {waited:.0f} s: {dict(stuck)}")
    row.check(not missing, f"{len(missing)} message(s) not delivered {waited:.0f} s after the kill "
                           f"({stuck.get('sending', 0)} still claimed by the dead worker)")
    row.check(duplicates <= 1, f"{duplicates} message(s) sent twice (at most the one in flight may be)")
    figures.record(row)
    if row.problems:
        pytest.fail(row.failure_message(), pytrace=False)


def test_mail_worker_sigterm_mid_batch_hands_the_rest_over_at_once(mail_database, settings, tmp_path):
    expected = pending_message_ids(mail_database)
    deadline = settings["MAIL_DEADLINE_SECONDS"]
    sink = SmtpSink(tmp_path, delay=DELAY).start()
    first = MailWorker(mail_database, sink.port, tmp_path).start()
    second = MailWorker(mail_database, sink.port, tmp_path)
    try:
        assert wait_for(lambda: len(sink.deliveries()) >= STOP_AFTER or not first.running(), 60), "nothing sent"
        first.signal(signal.SIGTERM)
        stopped = time.monotonic()
        exited = wait_for(lambda: not first.running(), deadline)
        exit_seconds = time.monotonic() - stopped
        sent_after_term = sum(1 for at, _id in sink.deliveries() if at > stopped)
        left_claimed = outbox_statuses(mail_database).get("sending", 0)
        second.start()
        restarted = time.monotonic()
        wait_for(lambda: all_arrived(sink, expected), deadline - (restarted - stopped), interval=0.2)
    finally:
        second.stop()
        first.stop()
        sink.stop()

    row = figures.Row("sigterm",
                      load=f"{len(expected)} confirmations, batch 100, {DELAY * 1000:.0f} ms/message",
                      faults=f"SIGTERM after {STOP_AFTER} sent")
    missing, duplicates = delivery_figures(row, expected, sink)
    if not missing:
        row.recovery_s = max(at for at, _id in sink.deliveries()) - stopped
    row.notes.append(f"the stopped worker exited after {exit_seconds:.1f} s, sending {sent_after_term} "
                     f"message(s) after SIGTERM; claims left behind: {left_claimed}")
    row.check(exited and exit_seconds <= TERM_EXIT_SECONDS,
              f"the worker took {exit_seconds:.1f} s to exit after SIGTERM (at most {TERM_EXIT_SECONDS} s)")
    row.check(sent_after_term <= 1, f"the worker sent {sent_after_term} message(s) after SIGTERM "
                                    "(only the one in flight should be finished)")
    row.check(left_claimed == 0, f"{left_claimed} message(s) still claimed by the worker that exited")
    row.check(not missing, f"{len(missing)} message(s) not delivered within {deadline} s of SIGTERM")
    row.check(duplicates == 0, f"{duplicates} message(s) sent twice")
    figures.record(row)
    if row.problems:
        pytest.fail(row.failure_message(), pytrace=False)
