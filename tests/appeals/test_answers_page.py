"""The list of answers due: whose matters each role sees, the filters, overdue ones marked."""
from datetime import timedelta

import pytest

from booking import bookings as services
from booking.appeals import cards
from booking.core.timeutil import now_utc
from booking.models import BookingStatus
from helpers import MSK, slot_start
from staff_support import text


@pytest.fixture
def two_divisions(app, db, make_division, make_booking, make_user, past_day, mailroom):
    settings = cards.AppealSettings.from_config(app.config)
    north, south = make_division(slug="north", weekdays=range(7)), make_division(slug="south", weekdays=range(7))
    north_head, south_head = make_user("head", divisions=[north]), make_user("head", divisions=[south])
    made = {}
    for division, head, days_ago in ((north, north_head, 20), (south, south_head, 1)):
        day = past_day - timedelta(days=days_ago - 1)
        start = slot_start(day, "10:00")
        booking, _ = make_booking(division, start, now=start - timedelta(hours=3))
        actor = services.Actor(kind="head", user=head)
        services.mark_booking(booking, BookingStatus.ATTENDED, now_utc(), actor, MSK)
        cards.save_card(booking, cards.CardInput(raised="Вопрос", topic="heating", outcome="written_due",
                                                 responsible=head), now_utc(), actor, settings, mailroom)
        made[division.slug] = booking.code
    db.session.commit()
    return dict(north=north, south=south, north_head=north_head, south_head=south_head, codes=made)


def test_a_head_sees_the_matters_of_their_own_divisions_only(client, log_in_as, two_divisions):
    log_in_as(two_divisions["north_head"])
    page = text(client.get("/staff/answers"))
    assert two_divisions["codes"]["north"] in page and two_divisions["codes"]["south"] not in page
    assert client.get("/staff/answers?division=south").status_code == 403


def test_leadership_sees_every_division_soonest_due_first_with_the_overdue_marked(client, log_in_as, make_user,
                                                                                   two_divisions):
    log_in_as(make_user("director"))
    page = text(client.get("/staff/answers"))
    north, south = two_divisions["codes"]["north"], two_divisions["codes"]["south"]
    assert page.index(north) < page.index(south)  # visited 20 days ago: due first, and overdue
    assert page.count('class="matter overdue"') == 1
    only_south = text(client.get(f"/staff/answers?responsible={two_divisions['south_head'].id}"))
    assert south in only_south and north not in only_south
    overdue = text(client.get("/staff/answers?state=overdue"))
    assert north in overdue and south not in overdue
    assert north not in text(client.get("/staff/answers?state=closed"))


def test_a_director_reads_agendas_and_booking_pages_without_any_form_to_change_them(client, log_in_as, make_user,
                                                                                     two_divisions, past_day):
    log_in_as(make_user("director"))
    code = two_divisions["codes"]["south"]
    agenda = text(client.get(f"/agenda/{past_day.isoformat()}?division=south"))
    assert code in agenda and "/note" not in agenda and "/cancel" not in agenda and "/mark" not in agenda
    page = text(client.get(f"/staff/bookings/{code}"))
    assert "Reception card" in page and 'method="post" action="/staff/bookings' not in page


def test_create_user_makes_a_director_who_belongs_to_no_division(runner, client, two_divisions):
    result = runner.invoke(args=["create-user", "--email", "director@priyom.example", "--role", "director",
                                 "--name", "Директор", "--password", "long enough password"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(args=["create-user", "--email", "d2@priyom.example", "--role", "director",
                                  "--division", "north", "--password", "long enough password"])
    assert refused.exit_code != 0
    assert client.log_in("director@priyom.example", "long enough password").status_code == 303
    assert two_divisions["codes"]["north"] in text(client.get("/staff/answers"))
