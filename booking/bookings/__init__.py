"""The booking operations: what a division offers, booking, moving and cancelling, the staff side.

Request-free: every operation takes ``now`` and the deployment's :class:`Policy`
and works inside the caller's transaction (it flushes, the request or command
commits). Capacity is left to the ``uq_booking_place`` index; a lost race
surfaces as :class:`SlotTaken`. Callers use the names below, as
``bookings.create_booking(...)``.
"""
from .agenda import (STAFF_MARKS, STAFF_NOTE_MAX, Agenda, AgendaRow, agenda_day, bookings_for_day, can_mark,
                     mark_booking, search_bookings, set_staff_note)
from .availability import (Availability, active_divisions, all_divisions, availability, catalog_key,
                           change_count, division_availability, division_change_count,
                           free_alternatives, get_division, schedule_slots, slot_view_at, slot_views,
                           unbookable_reason)
from .operations import (audit, booking_snapshot, bookings_by_code, can_change, cancel_booking, create_booking,
                         find_booking,
                         find_booking_by_code, renew_manage_token, reschedule_booking, send_manage_link)
from .schedule_changes import (ClosureSpec, RuleSpec, affected_bookings, closures_with, off_schedule_bookings,
                               rules_with, settle_affected)
from .values import (CODE_ALPHABET, Actor, BookingError, CitizenDetails, LimitReached, NotChangeable, Policy,
                     SlotNotBookable, SlotTaken, SlotView, TooEarly, hash_token, new_code, new_token,
                     normalise_code)

__all__ = [
    "STAFF_MARKS", "STAFF_NOTE_MAX", "Agenda", "AgendaRow", "agenda_day", "bookings_for_day", "can_mark",
    "mark_booking", "search_bookings", "set_staff_note",
    "Availability", "active_divisions", "all_divisions", "availability", "catalog_key", "change_count",
    "division_availability", "division_change_count",
    "free_alternatives", "get_division", "schedule_slots", "slot_view_at", "slot_views", "unbookable_reason",
    "audit", "booking_snapshot", "bookings_by_code", "can_change", "cancel_booking", "create_booking", "find_booking",
    "find_booking_by_code",
    "renew_manage_token", "reschedule_booking", "send_manage_link",
    "ClosureSpec", "RuleSpec", "affected_bookings", "closures_with", "off_schedule_bookings", "rules_with",
    "settle_affected",
    "CODE_ALPHABET", "Actor", "BookingError", "CitizenDetails", "LimitReached", "NotChangeable", "Policy",
    "SlotNotBookable", "SlotTaken", "SlotView", "TooEarly", "hash_token", "new_code", "new_token",
    "normalise_code",
]
