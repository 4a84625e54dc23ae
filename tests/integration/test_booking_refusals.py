"""What a refused booking tells: nothing about other people, and a clear word about a malformed name."""
import pytest
import sqlalchemy as sa

from booking.models import Booking
from booking.core.validation import clean_text, normalise_name
from helpers import MSK, first_free_day, slot_start
from prod.kit import api_payload, booking_form

SPAM_NAME = "Иван. ВНИМАНИЕ: оплатите долг на https://pay.example/"
NAME_RULE_RU = "ФИО может содержать только буквы, пробелы, дефисы, апострофы и точки."


@pytest.fixture
def client(client, api_key):
    """Every request carries the hotline's API key: the API's refusals are the operations' own."""
    client.environ_base["HTTP_X_API_KEY"] = api_key
    return client


@pytest.fixture
def division(make_division):
    return make_division(places=1)


# --- a full slot says the same to everyone ------------------------------------------------------

def test_a_full_slot_is_taken_for_a_person_who_already_has_a_booking_too(client, division, make_booking):
    day = first_free_day()
    make_booking(division, slot_start(day, "10:00"), email="first@example.ru", phone="+79160000001")
    make_booking(division, slot_start(day, "11:00"), email="known@example.ru", phone="+79160000002")

    answers = {}
    for who, email, phone in (("stranger", "new@example.ru", "+79160000003"),
                              ("booked person", "known@example.ru", "+79160000002")):
        response = client.post("/api/v1/bookings", json=api_payload(division.slug, slot_start(day, "10:00"),
                                                                    email=email, phone=phone))
        answers[who] = (response.status_code, response.json["error"])
    assert answers["stranger"] == answers["booked person"] == (409, "slot_taken")


def test_the_web_form_for_a_full_slot_does_not_tell_whether_the_person_is_booked(client, division, make_booking):
    day = first_free_day()
    make_booking(division, slot_start(day, "10:20"), email="known@example.ru", phone="+79160000002")
    # Both forms are opened while 10:00 is free; someone else takes it before they are sent.
    forms = {who: booking_form(client, division.slug, slot_start(day, "10:00"), email=email, phone=phone)
             for who, email, phone in (("stranger", "new@example.ru", "+7 916 000-00-03"),
                                       ("booked person", "known@example.ru", "+7 916 000-00-02"))}
    make_booking(division, slot_start(day, "10:00"), email="other@example.ru", phone="+79160000009")

    pages = {who: client.post(f"/divisions/{division.slug}/book", data=data) for who, data in forms.items()}
    assert {who: page.status_code for who, page in pages.items()} == {"stranger": 409, "booked person": 409}
    assert all("This time was just taken." in page.text for page in pages.values())
    assert not any("already have an appointment" in page.text for page in pages.values())


def test_a_person_over_the_limit_still_hears_so_for_a_free_slot(client, division, make_booking):
    day = first_free_day()
    make_booking(division, slot_start(day, "11:00"), email="known@example.ru", phone="+79160000002")
    response = client.post("/api/v1/bookings", json=api_payload(division.slug, slot_start(day, "10:00"),
                                                                email="known@example.ru", phone="+79160000002"))
    assert (response.status_code, response.json["error"]) == (409, "limit_reached")


# --- a full name --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Салтыков-Щедрин М. Е.", "Д'Артаньян Шарль", "O’Brien Sean", "Ким Ён Су",
                                  "Анна-Мария Ёлкина"])
def test_names_of_letters_spaces_hyphens_apostrophes_and_dots_are_kept(name):
    assert normalise_name(name) == name


@pytest.mark.parametrize("name", [SPAM_NAME, "Иван 2", "Пётр <b>Петров</b>", "Пётр, Петров", "Пётр!", "Пётр_П",
                                  "Пётр @petrov", "...", "Пётр (Петров)"])
def test_anything_else_in_a_name_is_refused(name):
    with pytest.raises(ValueError, match="only letters, spaces, hyphens, apostrophes and dots"):
        normalise_name(name)


def test_the_api_refuses_a_name_with_a_message_in_it(client, division, db):
    response = client.post("/api/v1/bookings", headers={"Accept-Language": "ru"},
                           json=api_payload(division.slug, slot_start(first_free_day()), name=SPAM_NAME))
    assert response.status_code == 422
    assert response.json["fields"] == {"name": NAME_RULE_RU}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_the_web_form_refuses_it_with_the_same_words_and_keeps_the_input(client, division, db):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    data = booking_form(client, division.slug, slot_start(first_free_day()), full_name=SPAM_NAME)
    response = client.post(f"/divisions/{division.slug}/book", data=data)
    assert response.status_code == 422
    assert NAME_RULE_RU in response.text
    assert "ВНИМАНИЕ: оплатите долг" in response.text  # what was typed stays in the field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


# --- control characters -------------------------------------------------------------------------

def test_the_web_form_strips_control_characters_as_the_api_does(client, division, db):
    message = "Холодные батареи\x07\r\nс понедельника\x1b[31m"
    address = "ул.\x0bТверская,\x1f д. 1"
    data = booking_form(client, division.slug, slot_start(first_free_day(), "10:00"), message=message,
                        address=address)
    assert client.post(f"/divisions/{division.slug}/book", data=data).status_code == 303
    response = client.post("/api/v1/bookings", json=api_payload(division.slug, slot_start(first_free_day(), "10:20"),
                                                                email="other@example.ru", phone="+79160000005",
                                                                message=message, address=address))
    assert response.status_code == 201
    by_form, by_api = db.session.scalars(sa.select(Booking).order_by(Booking.start_utc)).all()
    assert by_form.message == by_api.message == clean_text(message, 2000, multiline=True) == \
        "Холодные батареи\nс понедельника[31m"
    assert by_form.address == by_api.address == "ул. Тверская, д. 1"
    assert by_form.start_utc.astimezone(MSK).hour == 10
