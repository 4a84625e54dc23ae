"""Logging in and out: CSRF, safe redirects, hashed passwords (throttling: test_login_throttle.py)."""
import re
import pytest

from booking.models import User
from helpers import PASSWORD
from staff_support import text

GENERIC_FAILURE = "The e-mail or the password is not right."


def same_page(response, typed_email):
    return re.sub(r'name="csrf_token"[^>]*>', "", text(response).replace(typed_email, "E-MAIL"))


def test_login_page_has_a_csrf_protected_form(client, make_user):
    user = make_user("operator")
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="csrf_token"' in text(page)
    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert client.get("/staff/search").status_code == 302  # still not logged in


def test_unauthenticated_staff_pages_redirect_to_login_and_back(client, make_user):
    user = make_user("operator")
    response = client.get("/staff/search?q=K7Q")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    login_page = client.get(response.headers["Location"])
    assert "Please log in to see this page." in text(login_page)
    logged_in = client.log_in(user.email, next_url="/staff/search?q=K7Q")
    assert logged_in.status_code == 303
    assert logged_in.headers["Location"] == "/staff/search?q=K7Q"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user("admin")
    response = client.log_in(user.email, next_url=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/"


def test_session_cookie_is_http_only_and_same_site(client, make_user):
    user = make_user("admin")
    response = client.log_in(user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    user = make_user("head")
    wrong = client.log_in(user.email, "not the password")
    unknown = client.log_in("nobody@priyom.example", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert GENERIC_FAILURE in text(wrong) and GENERIC_FAILURE in text(unknown)
    # Identical pages but for the address typed and the form's (time-stamped) CSRF token.
    assert same_page(wrong, user.email) == same_page(unknown, "nobody@priyom.example")


def test_a_deactivated_account_cannot_log_in(client, make_user):
    user = make_user("operator", active=False)
    assert client.log_in(user.email).status_code == 401


def test_password_is_stored_as_an_argon2_hash(db, make_user):
    user = make_user("admin", password="a long secret phrase")
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
    assert "a long secret phrase" not in stored


def test_email_is_matched_whatever_its_case(client, make_user):
    user = make_user("operator", email="Anna.Smirnova@Priyom.example")
    assert user.email == "anna.smirnova@priyom.example"
    assert client.log_in("  ANNA.SMIRNOVA@priyom.example ").status_code == 303


def test_logout_needs_a_post_with_the_token_and_ends_the_session(client, make_user, log_in_as):
    log_in_as(make_user("operator"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/staff/search").status_code == 200
    token = client.csrf_token()
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/staff/search").status_code == 302


def test_staff_navigation_only_for_logged_in_staff(client, make_user, log_in_as):
    assert "Log out" not in text(client.get("/"))
    log_in_as(make_user("operator", name="Анна Смирнова"))
    home = text(client.get("/"))
    assert "Log out" in home and "Анна Смирнова" in home and "Book for a caller" in home
    assert "Administration" not in home


def test_logged_in_user_visiting_login_goes_on(client, make_user, log_in_as):
    log_in_as(make_user("head", divisions=()))
    response = client.get("/login?next=/agenda")
    assert response.status_code == 302 and response.headers["Location"] == "/agenda"
