"""Configuration: defaults, then the environment.

``create_app`` layers these defaults, ``instance/config.py`` and finally any
``FLASK_*`` environment variable (``app.config.from_prefixed_env()``). The
conventional names (``DATABASE_URL``, ``SECRET_KEY``, ``BOOKING_TIMEZONE``,
``MAIL_*``) are read here without a prefix, and so are the settings of a
deployment (``PROXY_FIX_*``, ``RATELIMIT_*``, ``RETENTION_DAYS``...).

A production instance refuses to start without its own ``SECRET_KEY`` and its
``PUBLIC_BASE_URL``; debug and demo mode (``DEMO_MODE=1``, what ``make run``
uses) get a random key kept in ``instance/secret_key`` and the address
``http://127.0.0.1:$PORT`` instead. A demonstration instance remembers that it
is one (``instance/demo``), so the commands run later in another shell work
without ``DEMO_MODE=1``, unless a production setting says otherwise.
"""
import os
import secrets
import tempfile
from urllib.parse import urlsplit

DEV_SECRET_KEY = "dev-only-insecure-key"
# Written by a demonstration instance (DEMO_MODE=1 in the environment): its base URL, one line.
DEMO_MARKER = "demo"
DEMO_HOSTS = ("127.0.0.1", "localhost")
SECRET_KEY_MIN_LENGTH = 32


def _env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to set."""


class Config:
    """Defaults, each overridable from the environment or instance/config.py."""

    def __init__(self, instance_path):
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
        default_db = "sqlite:///" + os.path.join(instance_path, "priyom.sqlite3")
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(os.environ.get("DATABASE_URL", default_db))
        # Merged over the defaults of database.engine_options().
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        # A database that does not answer within these limits gets a 503, not a hung worker.
        self.DATABASE_CONNECT_TIMEOUT = _env_int("DATABASE_CONNECT_TIMEOUT", 5)
        self.DATABASE_LOCK_TIMEOUT_MS = _env_int("DATABASE_LOCK_TIMEOUT_MS", 10_000)
        # A pooled server connection unused this long is checked before it is lent (database.ping_when_idle).
        self.DATABASE_PING_AFTER_IDLE_SECONDS = _env_int("DATABASE_PING_AFTER_IDLE_SECONDS", 1)

        self.BOOKING_TIMEZONE = os.environ.get("BOOKING_TIMEZONE", "Europe/Moscow")
        self.BOOKING_HORIZON_DAYS = _env_int("BOOKING_HORIZON_DAYS", 30)
        self.BOOKING_MIN_NOTICE_MINUTES = _env_int("BOOKING_MIN_NOTICE_MINUTES", 120)
        # How many future bookings one person (same e-mail or phone) may hold per division.
        self.BOOKING_MAX_ACTIVE_PER_PERSON = _env_int("BOOKING_MAX_ACTIVE_PER_PERSON", 1)
        self.BOOKING_HOLIDAY_COUNTRY = "RU"
        self.PHONE_DEFAULT_REGION = "RU"
        # How long a server process may show a division's slots from rules read earlier.
        self.SCHEDULE_CACHE_SECONDS = _env_int("SCHEDULE_CACHE_SECONDS", 5)
        self.PAGE_CACHE_PERSONAL_SECONDS = _env_int("PAGE_CACHE_PERSONAL_SECONDS", 300)
        self.HOTLINE_PHONE = os.environ.get("HOTLINE_PHONE", "+7 495 000-00-00")
        # The address citizens use (https://priyom.example.ru/): every absolute link is built from it,
        # and requests for any other host are refused. Required outside demo mode.
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
        # Hosts accepted besides PUBLIC_BASE_URL's, e.g. the address a load balancer's health check uses.
        self.EXTRA_TRUSTED_HOSTS = _env_list("EXTRA_TRUSTED_HOSTS")
        # Who runs the service: named in the header, e-mails, the consent text and the privacy policy.
        # Empty outside demo mode until set (see operator.settle_operator).
        self.SERVICE_NAME = os.environ.get("SERVICE_NAME", "Приём")
        self.SERVICE_NAME_EN = os.environ.get("SERVICE_NAME_EN", "Priyom")
        self.OPERATOR_NAME = os.environ.get("OPERATOR_NAME", "")
        self.OPERATOR_ADDRESS = os.environ.get("OPERATOR_ADDRESS", "")
        self.OPERATOR_CONTACTS = os.environ.get("OPERATOR_CONTACTS", "")
        # Raise whenever the consent text changes: every booking records the version it accepted.
        self.CONSENT_VERSION = os.environ.get("CONSENT_VERSION", "2026-11-30")
        # Calendar feeds: how far back the agenda feed reaches, how long it keeps cancelled
        # appointments (so subscribed clients learn of the cancellation), how often clients refresh.
        self.FEED_PAST_WEEKS = _env_int("FEED_PAST_WEEKS", 4)
        self.FEED_KEEP_CANCELLED_DAYS = _env_int("FEED_KEEP_CANCELLED_DAYS", 30)
        self.FEED_REFRESH_MINUTES = _env_int("FEED_REFRESH_MINUTES", 15)

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
        self.MAIL_PORT = _env_int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Priyom <priyom@localhost>")
        self.MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 30)  # seconds, for every SMTP operation
        # Hours before a visit at which reminders go out, e.g. "24,2".
        self.MAIL_REMINDER_HOURS = os.environ.get("MAIL_REMINDER_HOURS", "24")
        self.MAIL_BATCH_SIZE = _env_int("MAIL_BATCH_SIZE", 100)  # messages per SMTP connection
        self.MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 10)
        # Retries wait 1, 2, 4 ... minutes, never more than two hours: ten attempts span about six hours.
        self.MAIL_RETRY_BASE_SECONDS = _env_int("MAIL_RETRY_BASE_SECONDS", 60)
        self.MAIL_RETRY_MAX_SECONDS = _env_int("MAIL_RETRY_MAX_SECONDS", 7200)
        # A delivering worker shows it is alive this often; one silent for MAIL_WORKER_DEAD_SECONDS
        # has died, and its claimed messages go back to the queue at the next round of any worker.
        self.MAIL_HEARTBEAT_SECONDS = _env_int("MAIL_HEARTBEAT_SECONDS", 10)
        self.MAIL_WORKER_DEAD_SECONDS = _env_int("MAIL_WORKER_DEAD_SECONDS", 30)
        self.MAIL_WORKER_INTERVAL = _env_int("MAIL_WORKER_INTERVAL", 15)
        # SMS through Kannel's HTTP sendsms interface, e.g. http://127.0.0.1:13013/cgi-bin/sendsms;
        # empty: nothing is sent by SMS. SMS_NOTIFY: "no-email" (only bookings without e-mail) or "all".
        self.SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
        self.SMS_USERNAME = os.environ.get("SMS_USERNAME", "")
        self.SMS_PASSWORD = os.environ.get("SMS_PASSWORD", "")
        self.SMS_SENDER = os.environ.get("SMS_SENDER", "")
        self.SMS_NOTIFY = os.environ.get("SMS_NOTIFY", "no-email")
        self.SMS_TIMEOUT = _env_int("SMS_TIMEOUT", 10)  # seconds for each request to the gateway

        self.MAX_CONTENT_LENGTH = 64 * 1024
        self.WTF_CSRF_TIME_LIMIT = None
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = _env_bool("REMEMBER_COOKIE_SECURE", False)
        # Served to browsers over https (by the reverse proxy): secure cookies, https links, HSTS.
        self.BEHIND_HTTPS = _env_bool("BEHIND_HTTPS", False)
        # Pages whose address carries a manage token send no Referer, so the CSRF check cannot
        # demand one on https; the CSRF token and SameSite cookies still protect every form.
        self.WTF_CSRF_SSL_STRICT = False
        # Number of trusted proxies setting each X-Forwarded-* header; 0 ignores the header.
        self.PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
        self.PROXY_FIX_X_PROTO = _env_int("PROXY_FIX_X_PROTO", 0)
        self.PROXY_FIX_X_HOST = _env_int("PROXY_FIX_X_HOST", 0)
        self.PROXY_FIX_X_PORT = _env_int("PROXY_FIX_X_PORT", 0)
        self.PROXY_FIX_X_PREFIX = _env_int("PROXY_FIX_X_PREFIX", 0)
        self.DEMO_MODE = _env_bool("DEMO_MODE", False)

        # Abuse limits per client address (Flask-Limiter syntax). Memory storage counts per
        # process; several processes or machines share counts through e.g. redis://host:6379.
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_EXEMPT_IPS = _env_list("RATELIMIT_EXEMPT_IPS")
        self.BOOKING_RATE_LIMIT = os.environ.get("BOOKING_RATE_LIMIT", "10 per minute;60 per hour")
        self.API_BOOKING_RATE_LIMIT = os.environ.get("API_BOOKING_RATE_LIMIT", "60 per minute;1000 per hour")
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
        # New bookings one client address may make on the public form a day: in all, and per division.
        self.BOOKING_LIMIT_PER_ADDRESS_DAY = _env_int("BOOKING_LIMIT_PER_ADDRESS_DAY", 4)
        self.BOOKING_LIMIT_PER_DIVISION_DAY = _env_int("BOOKING_LIMIT_PER_DIVISION_DAY", 2)
        # An unreachable Redis must not stop bookings: limits then count in each process's memory.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = _env_bool("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
        # Wrong passwords slow down one (account, client address) pair: free ones first, then a
        # wait that doubles with each failure. Only many failures across addresses lock the account.
        self.LOGIN_FREE_FAILURES = _env_int("LOGIN_FREE_FAILURES", 3)
        self.LOGIN_DELAY_BASE_SECONDS = _env_int("LOGIN_DELAY_BASE_SECONDS", 2)
        self.LOGIN_DELAY_MAX_SECONDS = _env_int("LOGIN_DELAY_MAX_SECONDS", 900)
        self.LOGIN_ACCOUNT_LOCK_FAILURES = _env_int("LOGIN_ACCOUNT_LOCK_FAILURES", 50)
        self.LOGIN_ACCOUNT_LOCK_MINUTES = _env_int("LOGIN_ACCOUNT_LOCK_MINUTES", 60)
        # A staff session unused for this long ends.
        self.STAFF_IDLE_MINUTES = _env_int("STAFF_IDLE_MINUTES", 480)

        # Personal data of bookings whose visit ended longer ago than this is blanked.
        self.RETENTION_DAYS = _env_int("RETENTION_DAYS", 365)
        # Days after a reception within which a promised written answer is due (the law allows 30 at most).
        self.ANSWER_DUE_DAYS = _env_int("ANSWER_DUE_DAYS", 14)
        self.BABEL_DEFAULT_LOCALE = "ru"
        self.BABEL_DEFAULT_TIMEZONE = self.BOOKING_TIMEZONE
        self.LANGUAGES = ["ru", "en"]

    def as_dict(self):
        return {k: v for k, v in vars(self).items() if k.isupper()}


def settle_secret_key(config, instance_path, debug):
    """Refuse a missing or weak ``SECRET_KEY`` in production; give debug and demo mode a kept random one."""
    key = config.get("SECRET_KEY")
    relaxed = debug or config.get("TESTING") or config.get("DEMO_MODE")
    if key and key != DEV_SECRET_KEY:
        if len(key) < SECRET_KEY_MIN_LENGTH and not relaxed:
            raise ConfigurationError(
                f"SECRET_KEY is too short: use at least {SECRET_KEY_MIN_LENGTH} random characters, e.g. "
                "the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'")
        return
    if config.get("TESTING"):
        return
    if relaxed:
        config["SECRET_KEY"] = instance_secret_key(instance_path)
        return
    raise ConfigurationError(
        "SECRET_KEY is not set. Set it in the environment to a long random value, e.g. "
        "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))'), and keep it the same "
        "on every server; or set DEMO_MODE=1 for a demonstration instance.")


def demo_base_url(environ=os.environ):
    """Where the demonstration server listens: ``make run`` passes its ``PORT``."""
    return f"http://127.0.0.1:{environ.get('PORT') or 5000}"


def _production_settings(instance_path, environ):
    """The settings that make an instance a production one, whatever a demo left in ``instance/``."""
    found = [name for name in ("SECRET_KEY", "FLASK_SECRET_KEY", "DEMO_MODE", "FLASK_DEMO_MODE") if name in environ]
    if os.path.exists(os.path.join(instance_path, "config.py")):
        found.append("instance/config.py")
    return found


def settle_demo_mode(config, instance_path, environ=os.environ):
    """Mark a demonstration instance, or recognise one, so its commands work without ``DEMO_MODE=1``.

    ``DEMO_MODE=1`` in the environment (``make run``) records the instance as a
    demonstration in ``instance/demo``, with its address. A later command with
    neither ``DEMO_MODE`` nor ``SECRET_KEY`` in the environment and no
    ``instance/config.py`` then runs in demo mode when that marker and the
    kept ``instance/secret_key`` are both there. Any production setting wins.
    """
    marker = os.path.join(instance_path, DEMO_MARKER)
    if config.get("TESTING"):
        return
    if config.get("DEMO_MODE"):
        explicit = environ.get("DEMO_MODE", "").strip().lower() in {"1", "true", "yes", "on"}
        if explicit and not config.get("PUBLIC_BASE_URL"):
            base = demo_base_url(environ)
            config["DEMO_BASE_URL"] = base
            _write_if_changed(marker, base + "\n")
        return
    if _production_settings(instance_path, environ):
        return
    if os.path.exists(marker) and os.path.exists(os.path.join(instance_path, "secret_key")):
        with open(marker, encoding="utf-8") as fh:
            base = fh.read().strip()
        config["DEMO_MODE"] = True
        config["DEMO_BASE_URL"] = base if base.startswith(("http://", "https://")) else demo_base_url(environ)


def _write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def settle_public_base_url(config, debug, environ=os.environ):
    """Require ``PUBLIC_BASE_URL`` in production (demo: the local server), and trust only its host."""
    base = (config.get("PUBLIC_BASE_URL") or "").strip()
    relaxed = debug or config.get("DEMO_MODE")
    hosts = []
    if not base:
        if not relaxed:
            raise ConfigurationError(
                "PUBLIC_BASE_URL is not set. Set it to the address citizens open, e.g. "
                "PUBLIC_BASE_URL=https://priyom.example.ru/ (links in e-mails and calendars are built from it); "
                "or set DEMO_MODE=1 for a demonstration instance.")
        base = config.get("DEMO_BASE_URL") or demo_base_url(environ)
    if relaxed:
        hosts += DEMO_HOSTS
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            f"PUBLIC_BASE_URL must be an http(s) address such as https://priyom.example.ru/, not {base!r}.")
    config["PUBLIC_BASE_URL"] = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    if config.get("TRUSTED_HOSTS") is None:
        hosts = [parts.hostname, *config.get("EXTRA_TRUSTED_HOSTS", ()), *hosts]
        config["TRUSTED_HOSTS"] = list(dict.fromkeys(host.lower() for host in hosts))


def instance_secret_key(instance_path):
    """The random key kept in ``instance/secret_key``, created on first use (safe with several processes)."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)  # atomic: the first process wins, the others read its key
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    with open(path, encoding="ascii") as fh:
        return fh.read().strip()


def _normalise_db_url(url):
    """Let a bare ``postgresql://`` URL use the psycopg 3 driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
