"""Who may do what: every staff page and action for every role, and no visitor data on public pages.

The matrix is checked on the server's answers: "ok" (the page or the action's
redirect), 403, or a redirect to the login page for anonymous visitors.
"""
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import pytest

from booking.appeals.models import ReceptionCard
from booking.models import AuditEntry, BookingStatus, Closure, Division, ReceptionRule, User
from helpers import slot_start
from staff_support import past_booking, text

OK, FORBIDDEN, LOGIN = "ok", "403", "login"
ROLES = ("anonymous", "head", "other_head", "operator", "admin", "director")

# A director reads what every division's staff reads; every POST of a director is refused (see test_role_matrix).
EVERY_STAFF = {"head": OK, "other_head": OK, "operator": OK, "admin": OK, "director": OK}
DIVISION_STAFF = {"head": OK, "other_head": FORBIDDEN, "operator": OK, "admin": OK, "director": OK}
CARD_FILLERS = {"head": OK, "other_head": FORBIDDEN, "operator": OK, "admin": OK}
READERS = {"head": OK, "other_head": OK, "operator": FORBIDDEN, "admin": OK, "director": OK}
DIVISION_READERS = {"head": OK, "other_head": FORBIDDEN, "operator": FORBIDDEN, "admin": OK, "director": OK}
MARKERS = {"head": OK, "other_head": FORBIDDEN, "operator": FORBIDDEN, "admin": OK}
BOOKERS = {"head": FORBIDDEN, "other_head": FORBIDDEN, "operator": OK, "admin": OK}
ADMINS = {"head": FORBIDDEN, "other_head": FORBIDDEN, "operator": FORBIDDEN, "admin": OK}


@dataclass
class World:
    day: object
    division: object
    other: object
    head: object
    other_head: object
    operator: object
    admin: object
    director: object
    upcoming: object
    to_move: object
    past: object
    rule: object
    closure: object

    def fill(self, url):
        start = slot_start(self.day, "12:40").isoformat()
        return url.format(w=self, a=self.division.slug, day=self.day.isoformat(), start=start,
                          start_in_url=quote(start))


CALLER = {"full_name": "Смирнова Галина", "phone": "+79167654321", "email": "galina@example.ru", "topic": "heating",
          "consent": "y"}
RULE = {"weekday": "0", "start_time": "10:00", "end_time": "13:00", "slot_minutes": "20", "places": "1"}
DIVISION = {"slug": "new-division", "name": "Новый", "head_name": "Новиков Н. Н.", "address": "Москва"}
CARD = {"raised": "Холодные батареи", "topic": "heating", "outcome": "oral", "result": "explained"}
ACCOUNT = {"email": "new@priyom.example", "role": "operator", "active": "y", "password": "long enough secret",
           "confirm": "long enough secret"}

# (method, address, form data, who may)
CASES = [
    ("GET", "/staff/", None, EVERY_STAFF),
    ("GET", "/agenda", None, EVERY_STAFF),
    ("GET", "/agenda/{day}?division={a}", None, DIVISION_STAFF),
    ("GET", "/agenda/{day}.csv?division={a}", None, DIVISION_STAFF),
    ("GET", "/agenda/{day}.xlsx?division={a}", None, DIVISION_STAFF),
    ("GET", "/staff/bookings/{w.upcoming.code}", None, DIVISION_STAFF),
    ("POST", "/staff/bookings/{w.past.code}/mark", {"status": "attended"}, MARKERS),
    ("POST", "/staff/bookings/{w.past.code}/note", {"note": "Заметка"}, DIVISION_STAFF),
    ("GET", "/staff/bookings/{w.to_move.code}/move", None, BOOKERS),
    ("POST", "/staff/bookings/{w.to_move.code}/move", {"start": "{start}", "confirm": "1"}, BOOKERS),
    ("GET", "/staff/search?q=%2B79161234567", None, BOOKERS),
    ("GET", "/staff/book", None, BOOKERS),
    ("GET", "/staff/book/{a}", None, BOOKERS),
    ("GET", "/staff/book/{a}/details?start={start_in_url}", None, BOOKERS),
    ("POST", "/staff/book/{a}/details", {**CALLER, "start": "{start}"}, BOOKERS),
    ("POST", "/staff/bookings/{w.upcoming.code}/cancel", {}, DIVISION_STAFF),
    ("GET", "/staff/answers", None, EVERY_STAFF),
    ("GET", "/staff/answers?division={a}&state=closed", None, DIVISION_STAFF),
    ("GET", "/staff/bookings/{w.past.code}/card", None, CARD_FILLERS),
    ("POST", "/staff/bookings/{w.past.code}/card", CARD, CARD_FILLERS),
    ("POST", "/staff/bookings/{w.past.code}/answer", {"sent_on": "{day}", "summary": "Ответ", "result": "supported"},
     CARD_FILLERS),
    ("GET", "/staff/statistics", None, READERS),
    ("GET", "/staff/statistics?division={a}&period=quarter", None, DIVISION_READERS),
    ("GET", "/staff/statistics.csv?division={a}", None, DIVISION_READERS),
    ("GET", "/staff/statistics.xlsx?division={a}", None, DIVISION_READERS),
    ("GET", "/admin/", None, ADMINS),
    ("GET", "/admin/divisions/{a}", None, ADMINS),
    ("GET", "/admin/divisions/new", None, ADMINS),
    ("POST", "/admin/divisions/new", DIVISION, ADMINS),
    ("GET", "/admin/divisions/{a}/edit", None, ADMINS),
    ("POST", "/admin/divisions/{a}/edit", {**DIVISION, "slug": "{a}"}, ADMINS),
    ("GET", "/admin/divisions/{a}/rules/new", None, ADMINS),
    ("POST", "/admin/divisions/{a}/rules/new", RULE, ADMINS),
    ("GET", "/admin/rules/{w.rule.id}/edit", None, ADMINS),
    ("POST", "/admin/rules/{w.rule.id}/edit", RULE, ADMINS),
    ("POST", "/admin/rules/{w.rule.id}/delete", {}, ADMINS),
    ("GET", "/admin/divisions/{a}/closures/new", None, ADMINS),
    ("POST", "/admin/divisions/{a}/closures/new", {"first_day": "{day}", "last_day": "{day}"}, ADMINS),
    ("POST", "/admin/closures/{w.closure.id}/delete", {}, ADMINS),
    ("GET", "/admin/users", None, ADMINS),
    ("GET", "/admin/users/new", None, ADMINS),
    ("POST", "/admin/users/new", ACCOUNT, ADMINS),
    ("GET", "/admin/users/{w.operator.id}/edit", None, ADMINS),
    ("POST", "/admin/users/{w.operator.id}/edit", {"email": "{w.operator.email}", "role": "operator"}, ADMINS),
    ("GET", "/admin/users/{w.operator.id}/password", None, ADMINS),
    ("POST", "/admin/users/{w.operator.id}/password", {"password": "x" * 12, "confirm": "x" * 12}, ADMINS),
]


@pytest.fixture
def world(make_division, make_booking, make_user, past_day, coming_day):
    far = coming_day + timedelta(days=365)
    division = make_division(weekdays=range(7), closures=[(far, far)])
    other = make_division()
    return World(
        day=coming_day, division=division, other=other,
        head=make_user("head", divisions=[division]), other_head=make_user("head", divisions=[other]),
        operator=make_user("operator"), admin=make_user("admin"), director=make_user("director"),
        upcoming=make_booking(division, slot_start(coming_day, "10:00"), full_name="Будущий Посетитель")[0],
        to_move=make_booking(division, slot_start(coming_day, "11:00"))[0],
        past=past_booking(make_booking, division, past_day, full_name="Прошлый Посетитель"),
        rule=division.rules[0], closure=division.closures[0],
    )


def answer(response):
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/login?next="):
        return LOGIN
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code in (200, 302, 303, 409, 422):  # 409/422: allowed, but the slot or the form said no
        return OK
    return str(response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, world, role):
    if role != "anonymous":
        assert client.log_in(getattr(world, role).email).status_code == 303
    wrong = []
    for method, url, data, allowed in CASES:
        address = world.fill(url)
        if method == "GET":
            response = client.get(address)
        else:
            form = {k: world.fill(v) for k, v in data.items()}
            response = client.post(address, data={**form, "csrf_token": client.csrf_token()})
        expected = allowed.get(role, LOGIN if role == "anonymous" else FORBIDDEN)
        if role == "director" and method == "POST":
            expected = FORBIDDEN  # a director only reads
        if answer(response) != expected:
            wrong.append(f"{method} {address}: expected {expected}, got {response.status_code}")
    assert wrong == []


@pytest.mark.parametrize("role", ["anonymous", "other_head", "operator", "director"])
def test_forbidden_actions_change_nothing(client, db, world, role):
    if role != "anonymous":
        client.log_in(getattr(world, role).email)
    counts = {model: db.session.query(model).count()
              for model in (Division, ReceptionRule, Closure, User, ReceptionCard, AuditEntry)}
    for method, url, data, allowed in CASES:
        if method == "POST" and (role == "director" or allowed.get(role, LOGIN) != OK):
            form = {k: world.fill(v) for k, v in (data or {}).items()}
            client.post(world.fill(url), data={**form, "csrf_token": client.csrf_token()})
    db.session.expire_all()
    assert {model: db.session.query(model).count() for model in counts} == counts
    assert world.past.status == BookingStatus.BOOKED
    if role != "operator":
        assert world.past.staff_note == "" and world.upcoming.status == BookingStatus.BOOKED
        assert world.to_move.start_utc == slot_start(world.day, "11:00")


def test_a_head_cannot_reach_another_divisions_booking_by_its_code(client, world):
    client.log_in(world.other_head.email)
    page = client.get(f"/staff/bookings/{world.upcoming.code}")
    assert page.status_code == 403 and "Будущий Посетитель" not in text(page)


def test_public_pages_show_no_visitor(client, world):
    for url in ("/", f"/divisions/{world.division.slug}", f"/divisions/{world.division.slug}?week={world.day}",
                f"/bookings/{world.upcoming.code}"):
        html = text(client.get(url))
        for private in ("Будущий Посетитель", "Прошлый Посетитель", "916"):
            assert private not in html, (url, private)
