"""Bookings under steady load while gunicorn workers are killed and PostgreSQL is stopped and started.

Every booking answered 201 must be in the database afterwards, no request may
fail except while the database is down (or the one a killed worker was
serving), and the site must book again within ``CHAOS_RECOVERY_SECONDS`` of
the database's return, with the same gunicorn master throughout.
"""
import time

import pytest

from chaos import figures
from chaos.data import new_database, prepare_site, stored_bookings
from chaos.load import BookingLoad, describe, explain_failures, first_success_after, free_starts, request
from chaos.servers import Site


def test_bookings_survive_worker_kills_and_a_database_restart(cluster, settings, tmp_path):
    url = new_database(cluster, "chaos_bookings")
    slug = prepare_site(url, places=100)
    site = Site(url, tmp_path, settings["WORKERS"]).start()
    try:
        master = site.process.pid
        status, slots = request(site.port, "GET", f"/api/v1/divisions/{slug}/slots")
        assert status == 200, slots
        starts = free_starts(slots)

        seconds, down = settings["LOAD_SECONDS"], settings["DB_DOWN_SECONDS"]
        load = BookingLoad(site.port, slug, starts, settings["CLIENTS"]).start()
        kills = []
        load.at(seconds * 0.15)
        kills.append(time.monotonic())
        site.kill_a_worker()
        load.at(seconds * 0.3)
        stopping = time.monotonic()
        cluster.stop_server("fast")
        time.sleep(down)
        cluster.start_server()
        back = time.monotonic()
        load.at(seconds * 0.7)
        kills.append(time.monotonic())
        site.kill_a_worker()
        load.at(seconds)
        attempts = load.stop()
        workers_back = site.all_workers_back()
        same_master = site.process.poll() is None and site.process.pid == master
    finally:
        site.stop()

    stored = stored_bookings(url, slug)
    acknowledged = {a.code: a.email for a in attempts if a.acknowledged}
    lost = sorted(code for code in acknowledged if code not in stored)
    emails = [email for email in stored.values()]
    duplicates = len(emails) - len(set(emails))
    unacknowledged_kept = len(set(stored) - set(acknowledged))
    during, cut, unexplained = explain_failures(attempts, outages=[(stopping, back)], kills=kills)
    recovery = first_success_after(attempts, back)

    row = figures.Row(
        "bookings",
        load=f"{settings['CLIENTS']} clients × {seconds} s, {len(attempts)} requests, "
             f"{settings['WORKERS']} gunicorn workers",
        faults=f"2 worker SIGKILLs, PostgreSQL down {back - stopping:.1f} s",
        acknowledged=len(acknowledged), lost=len(lost), duplicates=duplicates,
        recovery_s=recovery)
    row.notes.append(f"answers: {describe(attempts)}; failed while the database was down: {len(during)}, "
                     f"cut by a worker kill: {len(cut)}; stored without a 201 (the client saw an error): "
                     f"{unacknowledged_kept}")
    row.check(not lost, f"{len(lost)} acknowledged booking(s) missing from the database: {lost[:5]}")
    row.check(not duplicates, f"{duplicates} citizen(s) booked twice")
    row.check(not unexplained, f"{len(unexplained)} request(s) failed outside the database outage: "
                               f"{describe(unexplained)}")
    row.check(len(cut) <= len(kills), f"{len(cut)} requests cut by {len(kills)} worker kills (one in flight each)")
    row.check(recovery is not None and recovery <= settings["RECOVERY_SECONDS"],
              f"no booking within {settings['RECOVERY_SECONDS']} s of the database's return "
              f"(first after {recovery if recovery is None else round(recovery, 1)} s)")
    row.check(same_master, "the gunicorn master did not survive")
    row.check(workers_back, f"gunicorn did not get back to {settings['WORKERS']} workers")
    figures.record(row)
    if row.problems:
        pytest.fail(row.failure_message(), pytrace=False)
