"""The demonstration's mailbox shows what a booking would have mailed; a real installation has none."""
import re

import icalendar
import pytest

from helpers import first_free_day, slot_start
from test_public_flow import manage_params, post_booking


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DEMO_MODE": True, "MAIL_SERVER": ""}


def test_a_booking_made_through_the_form_shows_its_confirmation_and_invite_in_the_demo_mailbox(client,
                                                                                              make_division):
    division = make_division()
    response = post_booking(client, division, slot_start(first_free_day(), "10:20"))
    assert response.status_code == 303
    path, token = manage_params(response)
    page = client.get(response.headers["Location"])
    assert "demonstration: it sends nothing" in page.text and "/demo/mailbox" in page.text
    assert "We have sent a confirmation" not in page.text

    mailbox = client.get("/demo/mailbox")
    assert mailbox.status_code == 200
    [link] = re.findall(r'href="(/demo/mailbox/\d+)"', mailbox.text)
    letter = client.get(link)
    assert letter.status_code == 200
    assert "petrov@example.ru" in letter.text
    assert token in letter.text  # the private link, as the citizen would get it
    html = client.get(link + ".html")
    assert html.status_code == 200 and "<html" in html.text
    assert "script-src" not in html.headers["Content-Security-Policy"]
    invite = client.get(link + ".ics")
    assert invite.status_code == 200 and "attachment" in invite.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(invite.data)
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == slot_start(first_free_day(), "10:20")
    code = path.rsplit("/", 1)[1]
    assert code in mailbox.text and code in str(event["SUMMARY"]) + str(event["DESCRIPTION"])


def test_the_footer_links_the_demo_mailbox_only_in_demo_mode(client):
    assert "/demo/mailbox" in client.get("/").text


def test_a_real_installation_has_no_demo_mailbox(app, client):
    app.config["DEMO_MODE"] = False
    assert client.get("/demo/mailbox").status_code == 404
    assert "/demo/mailbox" not in client.get("/").text
