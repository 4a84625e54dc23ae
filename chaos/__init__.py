"""The fault suite: Priyom under load on PostgreSQL and gunicorn while its parts fail.

Each scenario starts the real pieces on 127.0.0.1 (a throwaway PostgreSQL
cluster, gunicorn with several workers, the ``mail-worker`` command, an SMTP
server and Redis in processes of their own), breaks one of them on a
schedule, and checks what a citizen would notice: no acknowledged booking
lost, no message lost or sent twice, errors only while the broken part is
down, and how many seconds the service needs to recover. The figures of
every scenario are printed as a table at the end (and appended to
``CHAOS_RESULTS`` as JSON lines when that is set).

Run ``make chaos`` (all, a few minutes) or ``make chaos SCENARIO=bookings``
(a ``pytest -k`` expression: ``bookings``, ``sigkill``, ``sigterm``,
``mail_server``, ``redis``). Not part of ``make test``: ``pytest`` alone
collects ``tests/`` only.

Settings (environment, whole numbers):

``CHAOS_WORKERS`` (4) gunicorn workers; ``CHAOS_CLIENTS`` (4) client threads
booking in a loop; ``CHAOS_LOAD_SECONDS`` (30) length of the booking load;
``CHAOS_DB_DOWN_SECONDS`` (4) how long PostgreSQL stays stopped;
``CHAOS_RECOVERY_SECONDS`` (5) longest allowed wait for service after the
database returns; ``CHAOS_MESSAGES`` (300) confirmations queued for the mail
scenarios; ``CHAOS_MAIL_DEADLINE_SECONDS`` (60) by when every message of a
crashed worker must have arrived; ``CHAOS_REFUSE_SECONDS`` (60) how long the
mail server refuses connections (20 is enough in CI);
``CHAOS_REDIS_DOWN_SECONDS`` (8) how long Redis stays stopped.
"""
