"""The booking operations against a real database: capacity, limits, status changes."""
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from booking import bookings as booking_ops
from booking.models import AuditEntry, Booking, BookingStatus
from helpers import MSK, app_mailroom, details, slot_start

# Monday 2026-12-07, 08:00 in Moscow: a fixed "now" keeps these tests independent of the clock.
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=MSK)
MONDAY = date(2026, 12, 7)
WEDNESDAY = date(2026, 12, 9)


def book(division, start, policy, now=NOW, **overrides):
    return booking_ops.create_booking(division, start, details(**overrides), now, policy=policy,
                                      mailroom=app_mailroom())


def test_booking_takes_a_place_and_returns_a_secret_token(db, make_division, policy):
    division = make_division()
    booking, token = book(division, slot_start(MONDAY, "10:20"), policy)
    db.session.commit()
    assert booking.status == BookingStatus.BOOKED
    assert booking.start_utc == slot_start(MONDAY, "10:20")
    assert booking.end_utc - booking.start_utc == timedelta(minutes=20)
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert token not in booking.manage_token_hash
    assert booking.manage_token_hash == booking_ops.hash_token(token)
    assert booking_ops.find_booking(booking.code, token) is booking
    assert booking_ops.find_booking(booking.code, token + "x") is None
    assert booking_ops.find_booking(booking.code.lower().replace("-", ""), token) is booking


def test_booking_codes_are_short_readable_and_unique(db, make_division, policy):
    division = make_division(places=5)
    codes = set()
    for n in range(10):
        booking, _ = book(division, slot_start(MONDAY, "10:20"), policy, email=f"p{n}@example.ru",
                          phone=f"+791612345{n:02d}") if n < 5 else \
            book(division, slot_start(MONDAY, "10:40"), policy, email=f"p{n}@example.ru", phone=f"+791612345{n:02d}")
        assert len(booking.code) == 7 and booking.code[3] == "-"
        assert set(booking.code.replace("-", "")) <= set(booking_ops.CODE_ALPHABET)
        codes.add(booking.code)
    assert len(codes) == 10


def test_full_slot_refuses_with_nearest_alternatives(db, make_division, policy):
    division = make_division()
    book(division, slot_start(MONDAY, "10:20"), policy, email="a@example.ru", phone="+79160000001")
    db.session.commit()
    with pytest.raises(booking_ops.SlotTaken) as caught:
        book(division, slot_start(MONDAY, "10:20"), policy, email="b@example.ru", phone="+79160000002")
    alternatives = [s.start_dt for s in caught.value.alternatives]
    # 20 minutes either side first, then 40 minutes after.
    assert alternatives == [slot_start(MONDAY, "10:00"), slot_start(MONDAY, "10:40"), slot_start(MONDAY, "11:00")]


def test_capacity_counts_places_per_slot(db, make_division, policy):
    division = make_division(places=2)
    start = slot_start(MONDAY, "11:00")
    first, _ = book(division, start, policy, email="a@example.ru", phone="+79160000001")
    second, _ = book(division, start, policy, email="b@example.ru", phone="+79160000002")
    db.session.commit()
    assert {first.place_no, second.place_no} == {1, 2}
    with pytest.raises(booking_ops.SlotTaken):
        book(division, start, policy, email="c@example.ru", phone="+79160000003")
    view = booking_ops.slot_view_at(division, start, NOW, policy)
    assert (view.capacity, view.available) == (2, 0)


def test_the_database_itself_refuses_a_second_holder_of_a_place(db, make_division, policy):
    division = make_division()
    booking, _ = book(division, slot_start(MONDAY, "10:20"), policy)
    db.session.commit()
    clone = Booking(code="AAA-AAA", division_id=division.id, start_utc=booking.start_utc, end_utc=booking.end_utc,
                    place_no=1, full_name="X Y", phone="+79160000009", email="x@example.ru", topic="other",
                    consent_at=NOW, manage_token_hash="0" * 64)
    db.session.add(clone)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_cancelled_booking_frees_its_place(db, make_division, policy, mailroom):
    division = make_division()
    start = slot_start(MONDAY, "10:20")
    booking, _ = book(division, start, policy, email="a@example.ru", phone="+79160000001")
    booking_ops.cancel_booking(booking, NOW, mailroom)
    db.session.commit()
    other, _ = book(division, start, policy, email="b@example.ru", phone="+79160000002")
    db.session.commit()
    assert other.place_no == 1 and booking.status == BookingStatus.CANCELLED


def test_times_outside_the_rules_holidays_and_notice_are_not_bookable(db, make_division, policy):
    division = make_division(weekdays=(0, 2, 4))
    for start in (slot_start(MONDAY, "10:10"),  # between slots
                  slot_start(date(2026, 12, 8), "10:00"),  # Tuesday: no rule
                  slot_start(MONDAY, "09:40"),  # before the session
                  slot_start(MONDAY, "13:00")):  # the session has ended
        with pytest.raises(booking_ops.SlotNotBookable):
            book(division, start, policy)
    with pytest.raises(booking_ops.SlotNotBookable):
        book(division, slot_start(MONDAY, "10:00"), policy, now=NOW + timedelta(minutes=1))  # under 2 h notice
    with pytest.raises(booking_ops.SlotNotBookable):
        book(division, slot_start(MONDAY + timedelta(days=35), "10:00"), policy)  # beyond the horizon
    with pytest.raises(booking_ops.SlotNotBookable):
        book(division, slot_start(date(2027, 1, 4), "10:00"), policy, now=datetime(2026, 12, 28, 8, tzinfo=MSK))


def test_closure_makes_days_unbookable(db, make_division, policy):
    division = make_division(closures=[(MONDAY, WEDNESDAY)])
    with pytest.raises(booking_ops.SlotNotBookable):
        book(division, slot_start(WEDNESDAY, "10:00"), policy)
    assert all(v.start_dt.astimezone(MSK).date() > WEDNESDAY for v in booking_ops.slot_views(division, NOW, policy))


def test_one_active_booking_per_person_per_division(db, make_division, policy):
    division, other_division = make_division(), make_division()
    book(division, slot_start(MONDAY, "10:20"), policy, email="same@example.ru", phone="+79160000001")
    with pytest.raises(booking_ops.LimitReached):
        book(division, slot_start(WEDNESDAY, "10:20"), policy, email="same@example.ru", phone="+79160000002")
    with pytest.raises(booking_ops.LimitReached):
        book(division, slot_start(WEDNESDAY, "10:20"), policy, email="other@example.ru", phone="+79160000001")
    book(other_division, slot_start(MONDAY, "10:20"), policy, email="same@example.ru", phone="+79160000001")


def test_the_limit_is_configurable(db, make_division, policy):
    from dataclasses import replace

    division = make_division()
    relaxed = replace(policy, max_active_per_person=2)
    book(division, slot_start(MONDAY, "10:20"), relaxed)
    book(division, slot_start(WEDNESDAY, "10:20"), relaxed)
    with pytest.raises(booking_ops.LimitReached):
        book(division, slot_start(WEDNESDAY, "11:20"), relaxed)
    unlimited = replace(policy, max_active_per_person=0)
    book(division, slot_start(WEDNESDAY, "11:20"), unlimited)


def test_reschedule_moves_to_a_free_slot_and_bumps_the_sequence(db, make_division, policy, mailroom):
    division = make_division()
    booking, token = book(division, slot_start(MONDAY, "10:20"), policy)
    db.session.commit()
    booking_ops.reschedule_booking(booking, slot_start(WEDNESDAY, "12:00"), NOW, policy=policy, mailroom=mailroom)
    db.session.commit()
    assert booking.start_utc == slot_start(WEDNESDAY, "12:00")
    assert booking.sequence == 1
    # The old place is free again, the new one is held.
    assert booking_ops.slot_view_at(division, slot_start(MONDAY, "10:20"), NOW, policy).available == 1
    assert booking_ops.slot_view_at(division, slot_start(WEDNESDAY, "12:00"), NOW, policy).available == 0


def test_reschedule_to_a_full_slot_keeps_the_old_time(db, make_division, policy, mailroom):
    division = make_division()
    mine, _ = book(division, slot_start(MONDAY, "10:20"), policy, email="a@example.ru", phone="+79160000001")
    book(division, slot_start(MONDAY, "11:00"), policy, email="b@example.ru", phone="+79160000002")
    db.session.commit()
    with pytest.raises(booking_ops.SlotTaken):
        booking_ops.reschedule_booking(mine, slot_start(MONDAY, "11:00"), NOW, policy=policy, mailroom=mailroom)
    db.session.rollback()
    db.session.refresh(mine)
    assert mine.start_utc == slot_start(MONDAY, "10:20") and mine.sequence == 0


def test_cancelled_or_past_bookings_cannot_change(db, make_division, policy, mailroom):
    division = make_division()
    booking, _ = book(division, slot_start(MONDAY, "10:20"), policy)
    booking_ops.cancel_booking(booking, NOW, mailroom)
    with pytest.raises(booking_ops.NotChangeable):
        booking_ops.cancel_booking(booking, NOW, mailroom)
    with pytest.raises(booking_ops.NotChangeable):
        booking_ops.reschedule_booking(booking, slot_start(WEDNESDAY, "10:20"), NOW, policy=policy, mailroom=mailroom)
    later, _ = book(division, slot_start(MONDAY, "11:00"), policy, email="z@example.ru", phone="+79160000005")
    after_visit = datetime(2026, 12, 7, 12, 0, tzinfo=MSK)
    with pytest.raises(booking_ops.NotChangeable):
        booking_ops.cancel_booking(later, after_visit, mailroom)


def test_every_change_is_audited(db, make_division, policy, mailroom):
    division = make_division()
    booking, _ = book(division, slot_start(MONDAY, "10:20"), policy)
    booking_ops.reschedule_booking(booking, slot_start(MONDAY, "11:20"), NOW, policy=policy, mailroom=mailroom)
    booking_ops.cancel_booking(booking, NOW, mailroom)
    db.session.commit()
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.booking_id == booking.id)
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["created", "rescheduled", "cancelled"]


def test_times_are_stored_and_read_back_as_aware_utc(db, make_division, policy):
    division = make_division()
    booking, _ = book(division, slot_start(MONDAY, "10:20"), policy)
    db.session.commit()
    db.session.expire_all()
    fresh = db.session.get(Booking, booking.id)
    assert fresh.start_utc.utcoffset() == timedelta(0)
    assert fresh.start_utc.astimezone(MSK).strftime("%H:%M") == "10:20"
    with pytest.raises(Exception):
        fresh.updated_at = datetime(2026, 12, 7, 10, 0)  # naive: refused at flush
        db.session.flush()
    db.session.rollback()


def test_slot_views_count_in_one_query(db, make_division, policy):
    division = make_division(weekdays=range(7), places=3)
    for n in range(6):
        book(division, slot_start(MONDAY, "10:20"), policy, email=f"{n}@example.ru", phone=f"+7916000000{n}") \
            if n < 3 else book(division, slot_start(WEDNESDAY, "10:20"), policy, email=f"{n}@example.ru",
                               phone=f"+7916000000{n}")
    db.session.commit()
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        views = booking_ops.slot_views(division, NOW, policy, only_free=False)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len([s for s in statements if "FROM booking" in s]) == 1
    assert {v.start_dt: v.available for v in views}[slot_start(MONDAY, "10:20")] == 0
