"""Configuration: defaults, then the environment.

``create_app`` layers these defaults, ``instance/config.py`` and finally any
``FLASK_*`` environment variable (``app.config.from_prefixed_env()``). The
conventional names (``DATABASE_URL``, ``SECRET_KEY``, ``BOOKING_TIMEZONE``,
``MAIL_*``) are read here without a prefix.
"""
import os

DEV_SECRET_KEY = "dev-only-insecure-key"


def _env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Defaults, each overridable from the environment or instance/config.py."""

    def __init__(self, instance_path):
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
        default_db = "sqlite:///" + os.path.join(instance_path, "priyom.sqlite3")
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(os.environ.get("DATABASE_URL", default_db))
        # A file cannot drop the connection; a server can, between two requests.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": not self.SQLALCHEMY_DATABASE_URI.startswith("sqlite")}

        self.BOOKING_TIMEZONE = os.environ.get("BOOKING_TIMEZONE", "Europe/Moscow")
        self.BOOKING_HORIZON_DAYS = _env_int("BOOKING_HORIZON_DAYS", 30)
        self.BOOKING_MIN_NOTICE_MINUTES = _env_int("BOOKING_MIN_NOTICE_MINUTES", 120)
        # How many future bookings one person (same e-mail or phone) may hold per division.
        self.BOOKING_MAX_ACTIVE_PER_PERSON = _env_int("BOOKING_MAX_ACTIVE_PER_PERSON", 1)
        self.BOOKING_HOLIDAY_COUNTRY = "RU"
        self.PHONE_DEFAULT_REGION = "RU"
        # How long a server process may show a division's slots from rules read earlier.
        self.SCHEDULE_CACHE_SECONDS = _env_int("SCHEDULE_CACHE_SECONDS", 5)
        self.HOTLINE_PHONE = os.environ.get("HOTLINE_PHONE", "+7 495 000-00-00")
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
        self.MAIL_PORT = _env_int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Priyom <priyom@localhost>")

        self.MAX_CONTENT_LENGTH = 64 * 1024
        self.WTF_CSRF_TIME_LIMIT = None
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
        self.BABEL_DEFAULT_LOCALE = "ru"
        self.BABEL_DEFAULT_TIMEZONE = self.BOOKING_TIMEZONE
        self.LANGUAGES = ["ru", "en"]

    def as_dict(self):
        return {k: v for k, v in vars(self).items() if k.isupper()}


def _normalise_db_url(url):
    """Let a bare ``postgresql://`` URL use the psycopg 3 driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
