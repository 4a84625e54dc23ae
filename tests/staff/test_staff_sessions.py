"""Staff sessions end for real: copied cookies die with logout, a new password, a role change,
deactivation, "log out everywhere" and idleness; a stolen cookie does not pass from another address."""
import time

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from booking.web.sessions import SEEN_KEY
from staff_support import text

COOKIE = "session"


def copy_session(source, target):
    """Give ``target`` the session cookie of ``source``, as a thief who copied it would."""
    target.set_cookie(COOKIE, source.get_cookie(COOKIE).value)
    return target


def logged_in(client, user, address="198.51.100.20"):
    client.environ_base["REMOTE_ADDR"] = address
    assert client.log_in(user.email).status_code == 303
    return client


def can_see_staff_pages(client):
    return client.get("/staff/search").status_code == 200


@pytest.fixture
def thief(new_browser):
    browser = new_browser()
    browser.environ_base["REMOTE_ADDR"] = "198.51.100.20"  # the same address: only the session decides
    return browser


def test_a_copied_cookie_stops_working_at_logout(client, thief, make_user):
    logged_in(client, make_user("operator"))
    copy_session(client, thief)
    assert can_see_staff_pages(thief)
    client.post_form("/logout")
    assert not can_see_staff_pages(thief)


def test_a_copied_cookie_stops_working_when_an_administrator_sets_a_new_password(
        client, new_browser, thief, make_user):
    operator = make_user("operator")
    logged_in(client, operator)
    copy_session(client, thief)
    admin = logged_in(new_browser(), make_user("admin"), address="198.51.100.30")
    response = admin.post_form(f"/admin/users/{operator.id}/password",
                    {"password": "brand new password", "confirm": "brand new password"})
    assert response.status_code == 303
    assert not can_see_staff_pages(thief)
    assert not can_see_staff_pages(client)


@pytest.mark.parametrize("change", [{"role": "admin"}, {"active": ""}])
def test_a_role_change_or_deactivation_ends_the_sessions(client, new_browser, make_user, change):
    operator = make_user("operator")
    logged_in(client, operator)
    admin = logged_in(new_browser(), make_user("admin"), address="198.51.100.30")
    form = {"email": operator.email, "name": operator.name, "role": "operator", "active": "y", **change}
    assert admin.post_form(f"/admin/users/{operator.id}/edit", form).status_code == 303
    assert client.get("/agenda").status_code == 302  # to the login page


def test_editing_only_the_name_keeps_the_session(client, new_browser, make_user):
    operator = make_user("operator")
    logged_in(client, operator)
    admin = logged_in(new_browser(), make_user("admin"), address="198.51.100.30")
    form = {"email": operator.email, "name": "Анна Смирнова", "role": "operator", "active": "y"}
    assert admin.post_form(f"/admin/users/{operator.id}/edit", form).status_code == 303
    assert can_see_staff_pages(client)


def test_log_out_everywhere_ends_every_session_of_the_account(client, new_browser, make_user):
    head = make_user("head")
    laptop = logged_in(client, head)
    office = logged_in(new_browser(), head, address="198.51.100.40")
    page = laptop.get("/staff/account")
    assert page.status_code == 200 and head.email in text(page) and "Log out everywhere" in text(page)
    response = laptop.post("/staff/account/logout-everywhere", data={"csrf_token": laptop.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert office.get("/agenda").status_code == 302
    assert laptop.get("/agenda").status_code == 302


def test_the_account_page_is_for_logged_in_staff_only(client):
    assert client.get("/staff/account").status_code == 302


def test_a_forged_x_forwarded_for_does_not_pass_a_stolen_cookie(client, new_browser, make_user):
    logged_in(client, make_user("operator"), address="198.51.100.20")
    elsewhere = new_browser()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    copy_session(client, elsewhere)
    forged = elsewhere.get("/staff/search", headers={"X-Forwarded-For": "198.51.100.20"})
    assert forged.status_code == 302
    assert not can_see_staff_pages(elsewhere)


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(app, new_browser, make_user):
    # What create_app installs when PROXY_FIX_X_FOR=1.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    client = new_browser()
    client.environ_base.update(proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert client.log_in(make_user("operator").email).status_code == 303
    assert can_see_staff_pages(client)
    other = new_browser()
    other.environ_base.update(proxy, HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert not can_see_staff_pages(copy_session(client, other))


def test_an_idle_session_ends(app, client, make_user):
    app.config["STAFF_IDLE_MINUTES"] = 30
    logged_in(client, make_user("operator"))
    with client.session_transaction() as session:
        session[SEEN_KEY] = int(time.time()) - 29 * 60
    assert can_see_staff_pages(client)  # still within the idle time, and now seen again
    with client.session_transaction() as session:
        assert session[SEEN_KEY] >= int(time.time()) - 5
        session[SEEN_KEY] = int(time.time()) - 31 * 60
    assert not can_see_staff_pages(client)
