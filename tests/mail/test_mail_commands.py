"""The delivery commands as an operator runs them: send-mail, and mail-worker until SIGTERM."""
import signal
import time

from conftest import flask_command
from helpers import first_free_day, slot_start


def test_send_mail_reports_what_it_did(make_division, make_booking, runner, smtp_server):
    make_booking(make_division(), slot_start(first_free_day(), "10:20"))
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0
    assert result.output == "Mail: sent 1, to retry 0, failed 0, skipped 0 over 1 connection(s).\n"
    assert runner.invoke(args=["send-mail"]).output.startswith("Mail: sent 0,")
    assert len(smtp_server.received) == 1


def test_the_worker_delivers_and_stops_cleanly_on_sigterm(app, make_division, make_booking, smtp_server):
    make_booking(make_division(), slot_start(first_free_day(), "10:20"))
    worker = flask_command(app, smtp_server, "mail-worker", "--interval", "0.2")
    try:
        deadline = time.monotonic() + 30
        while not smtp_server.received and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert len(smtp_server.received) == 1
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "Mail worker stopped." in out
    assert len(smtp_server.received) == 1
