"""Redis, the store the abuse limits share between processes, stopped under booking load.

The limits are on (high enough never to refuse this load) and counted in
Redis. While Redis is down for ``CHAOS_REDIS_DOWN_SECONDS``, bookings must
still be served (no 5xx, no dropped request) and the log must say that the
limit store is unreachable once (at most once per worker process), not once
per request. When Redis is back the limits are counted there again; how
soon is the recovery figure.
"""
import re
import time

import pytest

from chaos import figures
from chaos.data import new_database, prepare_site, stored_bookings
from chaos.load import BookingLoad, describe, free_starts, request
from chaos.servers import Redis, Site, wait_for

LOAD_SECONDS = 20
STORE = re.compile(r"redis|limit(s|er)? stor|rate.?limit", re.IGNORECASE)
TROUBLE = re.compile(r"unreachable|unavailable|cannot|unable|lost|down|refused|error|fail|fall(ing)? ?back|memory",
                     re.IGNORECASE)
# Lines of a traceback: indented source, the headers, and the exception's own "module.Error: ..." line.
TRACEBACK = re.compile(r"^(\s|Traceback|During handling|The above exception|[\w.]+(Error|Exception)\b)")


def notices(log):
    """Log records (not traceback lines) saying that the limit store is out of reach."""
    return [line for line in log.splitlines()
            if line and not TRACEBACK.match(line) and STORE.search(line) and TROUBLE.search(line)]


def test_redis_outage_under_load_keeps_bookings_served(cluster, settings, redis_available, tmp_path):
    url = new_database(cluster, "chaos_limits")
    slug = prepare_site(url, places=100)
    redis = Redis(tmp_path).start()
    limits = {"RATELIMIT_ENABLED": "true", "FLASK_RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": redis.url,
              "API_BOOKING_RATE_LIMIT": "100000 per minute"}
    site = Site(url, tmp_path, settings["WORKERS"], env=limits).start()
    try:
        status, slots = request(site.port, "GET", f"/api/v1/divisions/{slug}/slots")
        assert status == 200, slots
        load = BookingLoad(site.port, slug, free_starts(slots), settings["CLIENTS"]).start()
        load.at(LOAD_SECONDS * 0.25)
        counted_before = redis.keys()
        stopping = time.monotonic()
        redis.stop()
        time.sleep(settings["REDIS_DOWN_SECONDS"])
        redis.start()
        back = time.monotonic()
        counted_again = wait_for(lambda: redis.keys() > 0, max(0.0, load.began + LOAD_SECONDS - back), interval=0.1)
        shared_again = time.monotonic() - back if counted_again else None
        load.at(LOAD_SECONDS)
        attempts = load.stop()
        log = site.log()
    finally:
        site.stop()
        redis.stop()

    stored = stored_bookings(url, slug)
    acknowledged = [a.code for a in attempts if a.acknowledged]
    lost = [code for code in acknowledged if code not in stored]
    failed = [a for a in attempts if a.failed]
    during = [a for a in failed if a.started <= back and a.ended >= stopping]
    refused = [a for a in attempts if a.status == 429]
    said = notices(log)
    tracebacks = log.count("Traceback")

    row = figures.Row("redis",
                      load=f"{settings['CLIENTS']} clients × {LOAD_SECONDS} s, {len(attempts)} requests, "
                           f"{settings['WORKERS']} gunicorn workers",
                      faults=f"Redis down {back - stopping:.1f} s",
                      acknowledged=len(acknowledged), lost=len(lost),
                      duplicates=len(stored) - len(set(stored.values())), recovery_s=shared_again)
    row.notes.append(f"answers: {describe(attempts)}; failed while Redis was down: {len(during)}, at other times: "
                     f"{len(failed) - len(during)}; log records about the limit store: {len(said)}, "
                     f"tracebacks: {tracebacks}; keys in Redis before the outage: {counted_before}")
    row.notes.extend(f"log: {line[:200]}" for line in said[:3])
    row.check(counted_before > 0, "the limits were not counted in Redis before the outage")
    row.check(not failed, f"{len(failed)} request(s) failed ({describe(failed)}), {len(during)} while Redis was down")
    row.check(not refused, f"{len(refused)} request(s) refused with 429 under a limit this load never reaches")
    row.check(not lost, f"{len(lost)} acknowledged booking(s) missing from the database")
    row.check(1 <= len(said) <= settings["WORKERS"],
              f"the log mentions the limit store {len(said)} time(s) (once per worker process at most, and at "
              f"least once) and has {tracebacks} traceback(s)")
    figures.record(row)
    if row.problems:
        pytest.fail(row.failure_message(), pytrace=False)
