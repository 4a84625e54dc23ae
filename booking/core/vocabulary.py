"""The fixed vocabularies of bookings: statuses, topics, staff roles, channels and audit actions.

String enums: a member is its stored value, so it compares, hashes, serialises
and binds to SQL as the plain string the database holds.
"""
from enum import StrEnum, nonmember


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"

    # Statuses that keep their place in the slot.
    HOLDING = nonmember(("booked", "attended", "no_show"))


class Topic(StrEnum):
    HEATING = "heating"
    HOT_WATER = "hot_water"
    BILLING = "billing"
    CONNECTION = "connection"
    OTHER = "other"

    # Topics where the in-house networks note applies.
    IN_HOUSE_NOTE = nonmember(("heating", "hot_water"))


class Role(StrEnum):
    HEAD = "head"
    OPERATOR = "operator"
    ADMIN = "admin"
    # Leadership: sees every division's agendas, answers and statistics, changes nothing.
    DIRECTOR = "director"


class Channel(StrEnum):
    """How a booking was made."""

    WEB = "web"
    PHONE = "phone"
    API = "api"


class AuditAction(StrEnum):
    """What an audit entry records (a mark records the new status)."""

    CREATED = "created"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    NOTE = "note"
    KEPT_AS_EXCEPTION = "kept_as_exception"
    LINK_RENEWED = "link_renewed"
    # A division's own history (entries without a booking).
    DIVISION_CREATED = "division_created"
    DIVISION_CHANGED = "division_changed"
    RULE_ADDED = "rule_added"
    RULE_CHANGED = "rule_changed"
    RULE_REMOVED = "rule_removed"
    CLOSURE_ADDED = "closure_added"
    CLOSURE_REMOVED = "closure_removed"
    # The citizen's erasure of their data, and what follows a visit.
    DATA_ERASED = "data_erased"
    CARD_SAVED = "card_saved"
    MATTER_CLOSED = "matter_closed"
    ANSWER_RECORDED = "answer_recorded"
