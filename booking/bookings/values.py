"""The booking area's values: the deployment's policy, slot views, who acts, a citizen's details,
the errors an operation refuses with, and the secret tokens and codes that name a booking."""
import hashlib
import secrets
from dataclasses import dataclass, field

from ..core.timeutil import get_tz

from .codes import CODE_ALPHABET, code_candidates, new_code, normalise_code  # noqa: F401


@dataclass(frozen=True)
class Policy:
    """The booking rules of a deployment, read from configuration."""

    tz: object
    horizon_days: int = 30
    min_notice_minutes: int = 120
    max_active_per_person: int = 1
    holiday_country: str = "RU"
    # The consent text a booking made now accepts (CONSENT_VERSION).
    consent_version: str = ""
    # How long a process lists a division's slots from rules and closures read earlier.
    schedule_cache_seconds: float = 5

    @classmethod
    def from_config(cls, config):
        return cls(
            tz=get_tz(config["BOOKING_TIMEZONE"]),
            horizon_days=config["BOOKING_HORIZON_DAYS"],
            min_notice_minutes=config["BOOKING_MIN_NOTICE_MINUTES"],
            max_active_per_person=config["BOOKING_MAX_ACTIVE_PER_PERSON"],
            holiday_country=config["BOOKING_HOLIDAY_COUNTRY"],
            consent_version=config.get("CONSENT_VERSION", ""),
            schedule_cache_seconds=config["SCHEDULE_CACHE_SECONDS"],
        )



@dataclass(frozen=True)
class SlotView:
    """A slot with how many places are still free."""

    start_dt: object
    end_dt: object
    capacity: int
    available: int


class BookingError(Exception):
    """An operation refused for a reason the citizen should be told."""

    code = "booking_error"

    def __init__(self, message="", alternatives=()):
        super().__init__(message or self.code)
        self.alternatives = list(alternatives)


class SlotTaken(BookingError):
    """The slot has no free place left (possibly taken a moment ago)."""

    code = "slot_taken"


class SlotNotBookable(BookingError):
    """The requested time is not a bookable slot of the division."""

    code = "slot_not_bookable"

    def __init__(self, message="", alternatives=(), reason=None):
        super().__init__(message, alternatives)
        # Why, as :func:`booking.core.scheduling.unbookable_reason` tells it (None when unknown).
        self.reason = reason


class LimitReached(BookingError):
    """The person already holds the allowed number of future bookings here."""

    code = "limit_reached"


class NotChangeable(BookingError):
    """The booking is cancelled, past or already visited."""

    code = "not_changeable"


@dataclass
class Actor:
    """Who performs an operation, for the audit log."""

    kind: str = "citizen"  # citizen, operator, head, admin, system
    user: object = None
    channel: str = "web"

    @property
    def user_id(self):
        return self.user.id if self.user is not None else None


@dataclass
class CitizenDetails:
    full_name: str
    phone: str
    email: str
    topic: str
    message: str = ""
    account: str = ""
    address: str = ""
    locale: str = "ru"
    extra: dict = field(default_factory=dict)


class TooEarly(BookingError):
    """The reception day has not come yet."""

    code = "too_early"


def hash_token(token):
    """The stored form of a secret token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token():
    """A fresh secret token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


