"""The citizen's pages in Russian and English: language choice, dates, form errors, error pages."""
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from babel.dates import format_datetime
from flask import g
from flask.testing import FlaskClient

from helpers import MSK, first_free_day, slot_start


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": False}


class FreshLocaleClient(FlaskClient):
    """A client whose every request chooses its language anew, as a real request does.

    The ``app`` fixture keeps one application context for the whole test, so
    ``g`` (where Flask-Babel keeps the chosen locale) would outlive each request.
    """

    def open(self, *args, **kwargs):
        g.pop("_flask_babel", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshLocaleClient
    return app.test_client()


@pytest.fixture
def division(make_division):
    return make_division(slug="severny", name="Северный филиал", name_en="Northern branch",
                         address="Москва, Дмитровское шоссе, д. 71", room="каб. 105",
                         directions="От метро «Петровско-Разумовская» 10 минут пешком.")


@pytest.fixture
def booking(division, make_booking):
    booking, token = make_booking(division, slot_start(first_free_day(), "10:20"))
    return booking, token


class Page(HTMLParser):
    """The few things these tests read from a page: tags with their attributes, and the text."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.text, self.html = [], [], html
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag=None, **attrs):
        return [a for t, a in self.tags if (tag is None or t == tag)
                and all(a.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    @property
    def lang(self):
        return self.find("html")[0]["lang"]

    @property
    def title(self):
        return re.search(r"<title>(.*?)</title>", self.html, re.S).group(1)

    def ids(self):
        return {a["id"] for _, a in self.tags if "id" in a}


def get(client, url, lang=None):
    headers = {"Accept-Language": lang} if lang else {}
    response = client.get(url, headers=headers)
    return response, Page(response.get_data(as_text=True))


def test_russian_is_the_default_and_english_follows_the_browser(client, division):
    _, page = get(client, "/")
    assert page.lang == "ru" and "Запись на личный приём" in page.html

    _, page = get(client, "/", lang="en-GB,en;q=0.9")
    assert page.lang == "en" and "Book a reception with the head of a division" in page.html

    _, page = get(client, "/", lang="de-DE,de;q=0.9")
    assert page.lang == "ru"


def test_the_switch_is_remembered_and_brings_the_reader_back(client, division):
    _, page = get(client, "/divisions/severny", lang="ru")
    switch = [a["href"] for a in page.find("a", hreflang="en")]
    assert len(switch) == 1
    response = client.get(switch[0])
    assert response.status_code == 302 and response.headers["Location"] == "/divisions/severny"

    _, page = get(client, "/divisions/severny", lang="ru")
    assert page.lang == "en" and "<h1>Northern branch</h1>" in page.html
    assert page.find("a", hreflang="ru", lang="ru")


@pytest.mark.parametrize("target", ["https://example.org/", "//example.org/", "javascript:alert(1)"])
def test_the_switch_never_leads_to_another_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_english_pages_mark_russian_only_details(client, division):
    _, page = get(client, "/divisions/severny", lang="en")
    assert "Москва, Дмитровское шоссе, д. 71, каб. 105" in page.html
    marked = re.findall(r'<(\w+)[^>]* lang="ru"[^>]*>([^<]*)<', page.html)
    assert any("Дмитровское шоссе" in text for _, text in marked)
    assert any("Петровско-Разумовская" in text for _, text in marked)

    _, page = get(client, "/divisions/severny", lang="ru")
    assert not [tag for tag, attrs in page.tags if attrs.get("lang") == "ru" and tag not in ("html", "a")]


@pytest.mark.parametrize("lang, when_words", [("ru", "(время московское)"), ("en", "(Moscow time)")])
def test_the_appointment_shows_its_time_in_the_readers_language(client, booking, lang, when_words):
    booking, token = booking
    _, page = get(client, f"/bookings/{booking.code}?token={token}&new=1", lang=lang)
    expected = format_datetime(booking.start_utc, "EEEE, d MMMM, HH:mm", tzinfo=MSK, locale=lang)
    assert expected in page.html and when_words in page.html
    if lang == "ru":
        assert "Вы записаны" in page.html and re.search(r"(январ|феврал|марта|апрел|мая|июня|июля|августа|"
                                                       r"сентябр|октябр|ноябр|декабр)", expected)


def test_form_errors_are_in_russian_tied_to_their_fields_and_listed_first(client, division):
    start = slot_start(first_free_day(), "10:00").isoformat()
    response = client.post("/divisions/severny/book", data={"start": start, "address": "д" * 301})
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 422
    assert page.title.startswith("Ошибка:")

    summary = page.find("div", id="error-summary")[0]
    assert summary["role"] == "alert" and "autofocus" in summary
    ids = page.ids()
    links = re.findall(r'<a href="#([^"]+)">', page.html.split('id="error-summary"')[1].split("</ul>")[0])
    assert set(links) == {"full_name", "phone", "email", "topic-0", "address", "consent"}
    assert set(links) <= ids

    for name in ("full_name", "phone", "email", "address"):
        field = page.find("input", id=name)[0]
        assert field["aria-invalid"] == "true"
        described = field["aria-describedby"].split()
        assert f"{name}-error" in described and set(described) <= ids
    assert "Введите фамилию, имя и отчество." in page.html
    # Ours, not WTForms' «Значение не должно содержать более 300 символов.»; the message after a dash, in lower case.
    assert "Адрес, к которому относится вопрос — сократите текст до 300\u00a0символов." in page.html
    assert page.find("input", id="consent")[0]["aria-describedby"] == "consent-error"
    assert page.find("fieldset", id="topic")[0]["aria-describedby"] == "topic-error"
    assert [a for a in page.find("label") if a.get("for")] and all(
        page.find("label", for_=f["id"]) for f in page.find("input") if f.get("type") in ("text", "tel", "email"))


def test_the_switch_on_a_posted_form_returns_to_the_same_time(client, division):
    start = slot_start(first_free_day(), "10:00").isoformat()
    response = client.post("/divisions/severny/book", data={"start": start})
    href = Page(response.get_data(as_text=True)).find("a", hreflang="en")[0]["href"]
    back = parse_qs(urlsplit(href).query)["next"][0]
    assert client.get(back).status_code == 200


@pytest.mark.parametrize("lang, title, hint", [
    ("ru", "Страница не найдена", "скопирована целиком"),
    ("en", "Page not found", "copied in full"),
])
def test_a_missing_page_is_friendly(client, lang, title, hint):
    response, page = get(client, "/bookings/AAA-AAA?token=nope", lang=lang)
    assert response.status_code == 404
    assert f"<h1>{title}</h1>" in page.html and hint in page.html and page.lang == lang
    assert page.find("a", href="/")


def test_an_unexpected_error_is_friendly(app, client):
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", view_func=broken)
    response, page = get(client, "/broken", lang="ru")
    assert response.status_code == 500
    assert "<h1>Что-то пошло не так</h1>" in page.html and "boom" not in page.html


def test_pages_are_ready_for_a_strict_content_security_policy(client, booking):
    booking, token = booking
    free = quote(slot_start(first_free_day(), "11:00").isoformat())
    urls = ["/", "/divisions/severny", f"/divisions/severny/book?start={free}",
            f"/bookings/{booking.code}?token={token}", f"/bookings/{booking.code}/move?token={token}",
            f"/bookings/{booking.code}/cancel?token={token}", "/nowhere"]
    for url in urls:
        for lang in ("ru", "en"):
            response, page = get(client, url, lang=lang)
            assert response.status_code in (200, 404), url
            assert all("src" in attrs for attrs in page.find("script")), url
            assert not page.find("style"), url
            assert not [a for _, a in page.tags if "style" in a or any(k.startswith("on") for k in a)], url
            assert not re.search(r"\b(?:href|src)=\"(?:https?:)?//", page.html), url


def test_cancelling_asks_first_and_a_wrong_token_finds_nothing(client, booking):
    booking, token = booking
    response, page = get(client, f"/bookings/{booking.code}/cancel?token={token}", lang="ru")
    assert response.status_code == 200 and f"Отменить запись\u00a0{booking.code}?" in page.html
    assert booking.status == "booked"
    assert client.get(f"/bookings/{booking.code}/cancel?token=wrong").status_code == 404

    response = client.post(f"/bookings/{booking.code}/cancel", data={"token": token})
    assert response.status_code == 303
    response, page = get(client, f"/bookings/{booking.code}/cancel?token={token}", lang="ru")
    assert response.status_code == 303  # nothing left to cancel: back to the appointment
