"""Which division serves my address: administrators attach districts, the home page leads a citizen there."""
import re

import pytest
import sqlalchemy as sa

from booking.bookings import districts
from booking.models import District, Division
from helpers import csrf_token


@pytest.fixture
def admin(make_user, log_in_as):
    return log_in_as(make_user("admin", email="admin@priyom.example", name="Admin"))


def save_districts(client, slug, text):
    page = client.get(f"/admin/divisions/{slug}/districts").get_data(as_text=True)
    return client.post(f"/admin/divisions/{slug}/districts",
                       data={"csrf_token": csrf_token(page), "names": text})


def test_an_administrator_attaches_districts_and_can_move_one(client, db, admin, make_division):
    north, south = make_division(name="Северный филиал"), make_division(name="Южный филиал")
    assert f'href="/admin/divisions/{north.slug}/districts"' in client.get(f"/admin/divisions/{north.slug}").get_data(
        as_text=True)
    answer = save_districts(client, north.slug, "Бескудниковский\n  Западное   Дегунино \nбескудниковский, Царицыно")
    assert answer.status_code == 303
    assert districts.district_names(north) == ["Бескудниковский", "Западное Дегунино", "Царицыно"]
    save_districts(client, south.slug, "Царицыно; Бирюлёво Западное")
    assert districts.district_names(north) == ["Бескудниковский", "Западное Дегунино"]
    assert districts.district_names(south) == ["Бирюлёво Западное", "Царицыно"]
    assert "Moved from another division: Царицыно." in client.get(f"/admin/divisions/{south.slug}").get_data(
        as_text=True)
    form = client.get(f"/admin/divisions/{south.slug}/districts").get_data(as_text=True)
    assert "Бирюлёво Западное\nЦарицыно</textarea>" in form
    save_districts(client, south.slug, "")
    assert districts.district_names(south) == []


def test_only_administrators_attach_districts(client, db, make_division, make_user, log_in_as):
    division = make_division()
    assert client.get(f"/admin/divisions/{division.slug}/districts").status_code in (302, 303)
    log_in_as(make_user("operator", email="operator@priyom.example", name="Op"))
    assert client.get(f"/admin/divisions/{division.slug}/districts").status_code == 403


def test_the_home_page_leads_from_a_district_to_its_division_without_javascript(client, db, make_division):
    north = make_division(name="Северный филиал")
    closed = make_division(name="Закрытый филиал", active=False)
    make_division(name="Отдел расчётов")  # found by topic, has no districts
    districts.set_districts(north, ["Бескудниковский", "Ёлочный"])
    districts.set_districts(closed, ["Нигдеевский"])
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    form = re.search(r'<form method="get" action="/find-division">.*?</form>', home, re.S).group(0)
    assert '<select id="district" name="district"' in form and '<button type="submit"' in form
    names = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', form)
    assert names == ["Бескудниковский", "Ёлочный"]  # by the alphabet; a closed division's districts are not offered
    district_id = db.session.scalar(sa.select(District.id).where(District.name == "Бескудниковский"))
    answer = client.get("/find-division", query_string={"district": district_id})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/divisions/{north.slug}")
    lost = client.get("/find-division", query_string={"district": ""}, follow_redirects=True)
    assert "Choose your district from the list." in lost.get_data(as_text=True)


def test_the_home_page_has_no_district_select_when_no_district_is_attached(client, make_division):
    make_division()
    assert "find-division" not in client.get("/").get_data(as_text=True)


def test_the_demo_data_attaches_districts(app, db, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    slug = db.session.scalar(sa.select(Division.slug).join(District, District.division_id == Division.id)
                             .where(District.name == "Бескудниковский"))
    assert slug == "severny-filial"


def test_a_district_number_too_large_for_the_database_is_asked_again_not_a_500(client, db, make_division):
    districts.set_districts(make_division(), ["Бескудниковский"])
    db.session.commit()
    for typed in ("99999999999999999999999", "-1", "0"):
        answer = client.get("/find-division", query_string={"district": typed}, follow_redirects=True)
        assert answer.status_code == 200
        assert "Choose your district from the list." in answer.get_data(as_text=True)
