"""Changing reception hours and adding closures never drops bookings silently: the administrator decides."""
import re
from dataclasses import replace
from datetime import time, timedelta

import pytest

from booking import bookings as booking_ops
from booking.models import BookingStatus, Closure, ReceptionRule
from booking.core.timeutil import now_utc
from helpers import slot_start
from staff_support import audit_trail, text

RULE_FORM = {"weekday": "0", "start_time": "10:00", "end_time": "13:00", "slot_minutes": "20", "places": "1",
             "valid_from": "", "valid_until": ""}


@pytest.fixture
def admin(make_user, log_in_as):
    return log_in_as(make_user("admin", name="Ольга Админова"))


@pytest.fixture
def division(make_division, coming_day):
    """Receives on ``coming_day``'s weekday only, 10:00–13:00."""
    return make_division(weekdays=(coming_day.weekday(),))


def rule_form(rule, **changes):
    values = {**RULE_FORM, "weekday": str(rule.weekday), **changes}
    return {k: str(v) for k, v in values.items()}


def decide(client, url, first_response, decision):
    """Answer the confirmation page as the administrator would: same data, the codes shown, a decision."""
    html = text(first_response)
    form = html.split('class="decision"', 1)[1].split("</form>", 1)[0]
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form):
        if name != "csrf_token":
            data.setdefault(name, []).append(value.replace("&#34;", '"').replace("&amp;", "&"))
    data["decision"] = decision
    return client.post_form(url, data)


def test_shortening_the_hours_lists_the_affected_bookings_before_changing_anything(
        client, db, admin, division, make_booking, coming_day):
    rule = division.rules[0]
    early, _ = make_booking(division, slot_start(coming_day, "10:00"), full_name="Ранний Посетитель")
    late, _ = make_booking(division, slot_start(coming_day, "12:20"), full_name="Поздний Посетитель")
    response = client.post_form(f"/admin/rules/{rule.id}/edit", rule_form(rule, end_time="12:00"))
    assert response.status_code == 200
    html = text(response)
    assert "This change affects 1 booking" in html
    assert "Поздний Посетитель" in html and late.code in html
    assert "Ранний Посетитель" not in html
    db.session.refresh(rule)
    assert rule.end_time == time(13, 0)  # nothing changed yet
    assert {b.status for b in (early, late)} == {BookingStatus.BOOKED}


def test_cancelling_the_affected_bookings_applies_the_change(client, db, admin, division, make_booking, coming_day):
    rule = division.rules[0]
    late, _ = make_booking(division, slot_start(coming_day, "12:20"))
    url = f"/admin/rules/{rule.id}/edit"
    response = decide(client, url, client.post_form(url, rule_form(rule, end_time="12:00")), "cancel")
    assert response.status_code == 303
    assert "1 booking cancelled." in text(client.get(response.headers["Location"]))
    db.session.refresh(rule)
    db.session.refresh(late)
    assert rule.end_time == time(12, 0)
    assert late.status == BookingStatus.CANCELLED and late.cancelled_by == "division"
    assert audit_trail(db, late)[-1] == ("cancelled", "admin", admin.id, "The reception hours changed.")


def test_keeping_the_affected_bookings_leaves_them_valid_on_the_agenda(client, db, admin, division, make_booking,
                                                                       coming_day):
    rule = division.rules[0]
    late, _ = make_booking(division, slot_start(coming_day, "12:20"), full_name="Поздний Посетитель")
    url = f"/admin/rules/{rule.id}/edit"
    response = decide(client, url, client.post_form(url, rule_form(rule, end_time="12:00")), "keep")
    assert response.status_code == 303
    db.session.refresh(rule)
    db.session.refresh(late)
    assert rule.end_time == time(12, 0) and late.status == BookingStatus.BOOKED
    assert audit_trail(db, late)[-1][:3] == ("kept_as_exception", "admin", admin.id)
    agenda = text(client.get(f"/agenda/{coming_day.isoformat()}?division={division.slug}"))
    assert "outside the reception hours" in agenda and "Поздний Посетитель" in agenda
    # A later, unrelated change does not ask about it again.
    other = client.post_form(f"/admin/divisions/{division.slug}/rules/new",
                 rule_form(rule, weekday=(coming_day.weekday() + 1) % 7))
    assert other.status_code == 303


def test_a_change_that_affects_nobody_is_applied_at_once(client, db, admin, division, make_booking, coming_day):
    rule = division.rules[0]
    make_booking(division, slot_start(coming_day, "10:00"))
    response = client.post_form(f"/admin/rules/{rule.id}/edit", rule_form(rule, end_time="12:00", places="2"))
    assert response.status_code == 303
    db.session.refresh(rule)
    assert (rule.end_time, rule.places) == (time(12, 0), 2)


def test_a_closure_over_booked_days_asks_and_cancels_with_its_reason(client, db, admin, division, make_booking,
                                                                     coming_day):
    booking, _ = make_booking(division, slot_start(coming_day, "11:00"), full_name="Закрытов Пётр")
    url = f"/admin/divisions/{division.slug}/closures/new"
    form = {"first_day": coming_day.isoformat(), "last_day": (coming_day + timedelta(days=2)).isoformat(),
            "reason": "Руководитель в отпуске"}
    question = client.post_form(url, form)
    assert "Закрытов Пётр" in text(question)
    assert db.session.query(Closure).count() == 0
    response = decide(client, url, question, "cancel")
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
    assert audit_trail(db, booking)[-1] == ("cancelled", "admin", admin.id, "Руководитель в отпуске")
    closure = db.session.query(Closure).one()
    assert (closure.first_day, closure.reason) == (coming_day, "Руководитель в отпуске")
    public = text(client.get(f"/divisions/{division.slug}?week={coming_day.isoformat()}"))
    assert slot_start(coming_day, "11:00").isoformat() not in public


def test_a_closure_can_keep_the_bookings(client, db, admin, division, make_booking, coming_day):
    booking, _ = make_booking(division, slot_start(coming_day, "11:00"))
    url = f"/admin/divisions/{division.slug}/closures/new"
    form = {"first_day": coming_day.isoformat(), "last_day": coming_day.isoformat(), "reason": ""}
    response = decide(client, url, client.post_form(url, form), "keep")
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.status == BookingStatus.BOOKED
    assert db.session.query(Closure).count() == 1


def test_removing_a_rule_asks_about_its_bookings(client, db, admin, division, make_booking, coming_day):
    rule = division.rules[0]
    booking, _ = make_booking(division, slot_start(coming_day, "11:00"))
    url = f"/admin/rules/{rule.id}/delete"
    question = client.post_form(url)
    assert booking.code in text(question)
    assert db.session.get(ReceptionRule, rule.id) is not None
    decide(client, url, question, "cancel")
    assert db.session.get(ReceptionRule, rule.id) is None
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED


def test_a_decision_about_another_list_of_bookings_asks_again(client, db, admin, division, make_booking, coming_day):
    rule = division.rules[0]
    make_booking(division, slot_start(coming_day, "12:20"))
    url = f"/admin/rules/{rule.id}/edit"
    question = client.post_form(url, rule_form(rule, end_time="12:00"))
    # Someone books another of the slots that are about to go while the administrator reads.
    newcomer, _ = make_booking(division, slot_start(coming_day, "12:40"))
    again = decide(client, url, question, "cancel")
    assert again.status_code == 200
    assert "The affected bookings changed meanwhile." in text(again) and newcomer.code in text(again)
    db.session.refresh(rule)
    assert rule.end_time == time(13, 0)
    assert newcomer.status == BookingStatus.BOOKED


def test_a_rule_form_refuses_impossible_hours(client, admin, division):
    response = client.post_form(f"/admin/divisions/{division.slug}/rules/new",
                    {**RULE_FORM, "start_time": "13:00", "end_time": "12:00"})
    assert "The end must be after the start." in text(response)
    response = client.post_form(f"/admin/divisions/{division.slug}/rules/new",
                    {**RULE_FORM, "end_time": "10:10", "slot_minutes": "20"})
    assert "The session is shorter than one visit." in text(response)
    assert len(division.rules) == 1


def test_a_new_rule_with_validity_dates_opens_slots(client, db, admin, division, coming_day):
    weekday = (coming_day.weekday() + 1) % 7
    until = coming_day + timedelta(days=30)
    response = client.post_form(f"/admin/divisions/{division.slug}/rules/new",
                    {**RULE_FORM, "weekday": str(weekday), "start_time": "15:00", "end_time": "16:00",
                     "valid_from": coming_day.isoformat(), "valid_until": until.isoformat()})
    assert response.status_code == 303
    db.session.refresh(division)
    added = [r for r in division.rules if r.weekday == weekday][0]
    assert (added.start_time, added.valid_from) == (time(15, 0), coming_day)


def test_removing_a_closure_reopens_its_days(client, db, admin, make_division, coming_day):
    division = make_division(closures=[(coming_day, coming_day)])
    closure_id = division.closures[0].id
    response = client.post_form(f"/admin/closures/{closure_id}/delete")
    assert response.status_code == 303
    assert db.session.get(Closure, closure_id) is None


def test_fewer_places_affect_the_last_booked_places(db, make_division, make_booking, policy, coming_day):
    division = make_division(places=2)
    first, _ = make_booking(division, slot_start(coming_day, "10:00"))
    second, _ = make_booking(division, slot_start(coming_day, "10:00"))
    fewer = [replace(booking_ops.RuleSpec.of(r), places=1) for r in division.rules]
    assert booking_ops.affected_bookings(division, fewer, division.closures, now_utc(), policy) == [second]


def test_past_and_cancelled_bookings_are_never_affected(db, make_division, make_booking, policy, coming_day, mailroom):
    division = make_division()
    booking, _ = make_booking(division, slot_start(coming_day, "10:00"))
    assert booking_ops.affected_bookings(division, [], [], now_utc(), policy) == [booking]
    assert booking_ops.affected_bookings(division, [], [], booking.start_utc, policy) == []
    booking_ops.cancel_booking(booking, now_utc(), mailroom)
    assert booking_ops.affected_bookings(division, [], [], now_utc(), policy) == []
