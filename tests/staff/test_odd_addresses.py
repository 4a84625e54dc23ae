"""Addresses no page has (numbers beyond any row id, days out of the calendar) answer 404 or ask again, never 500."""
import pytest

from staff_support import text

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("path", [
    f"/admin/users/{HUGE}/edit", f"/admin/rules/{HUGE}/edit", f"/admin/api-keys/{HUGE}/revoke",
    "/agenda/0001-01-01", "/agenda/9999-12-31",
])
def test_a_staff_address_beyond_any_row_or_day_is_not_found(client, make_user, log_in_as, path):
    log_in_as(make_user("admin"))
    assert client.get(path).status_code in (404, 405)


def test_an_api_client_number_beyond_any_row_is_named_as_unknown(client, make_user, log_in_as):
    log_in_as(make_user("admin"))
    page = client.get("/admin/bursts/", query_string={"client": HUGE})
    assert page.status_code == 422 and "No such API client." in text(page)


@pytest.mark.parametrize("first, last", [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")])
def test_bursts_of_a_period_at_the_ends_of_the_calendar_ask_for_other_dates(client, make_user, log_in_as, first, last):
    log_in_as(make_user("admin"))
    page = client.get("/admin/bursts/", query_string={"from": first, "to": last})
    assert page.status_code == 422 and "Use dates like 2026-12-02." in text(page)


def test_the_demo_mailbox_has_no_letter_beyond_any_row(app, client):
    app.config["DEMO_MODE"] = True
    assert client.get(f"/demo/mailbox/{HUGE}").status_code == 404
    assert client.get(f"/demo/mailbox/{HUGE}.html").status_code == 404
