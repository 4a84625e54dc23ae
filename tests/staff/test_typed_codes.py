"""A code read over the phone finds its booking wherever a code is typed: staff search, manage link, API."""
import pytest

from helpers import slot_start
from staff_support import text


@pytest.fixture
def dictated(db, make_division, make_booking, coming_day):
    """A booking with an old-format code (V and H in it), and one with a new-format code."""
    division = make_division()
    old, old_token = make_booking(division, slot_start(coming_day, "10:00"), full_name="Старый Код")
    new, new_token = make_booking(division, slot_start(coming_day, "10:20"), full_name="Новый Код")
    old.code, new.code = "3VH-3X9", "KRN-737"
    db.session.commit()
    return {"old": (old, old_token), "new": (new, new_token)}


@pytest.mark.parametrize("typed,who", [("3ВН-3Х9", "Старый Код"), ("3vh 3x9", "Старый Код"),
                                       ("зВН3Х9", "Старый Код"), ("крн-737", "Новый Код"),
                                       ("KRN737", "Новый Код")])
def test_operator_finds_a_code_typed_in_cyrillic_or_lower_case(client, dictated, make_user, log_in_as, typed, who):
    log_in_as(make_user("operator"))
    page = text(client.get("/staff/search", query_string={"q": typed}))
    assert who in page
    assert ({"Старый Код", "Новый Код"} - {who}).pop() not in page


def test_manage_link_and_api_accept_the_code_as_typed(client, dictated):
    booking, token = dictated["old"]
    page = client.get("/bookings/3вн-3х9", query_string={"token": token})
    assert page.status_code == 200 and "3VH-3X9" in text(page)
    assert client.get("/bookings/3вн-3х9", query_string={"token": "wrong" * 8}).status_code == 404
    answer = client.get("/api/v1/bookings/3ВН 3Х9".replace(" ", "%20"), headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.get_json()["code"] == "3VH-3X9"
    new, new_token = dictated["new"]
    assert client.get("/bookings/КРН737", query_string={"token": new_token}).status_code == 200
