"""Getting and replacing a private feed link: ``flask feed-url`` and the button on the agenda page."""
import pytest

from booking.feeds import service as feed_service
from booking.models import Role
from feed_helpers import feed_settings, agenda_path, form_fields


def feed_url_lines(runner, *args):
    result = runner.invoke(args=["feed-url", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_feed_url_prints_a_working_https_and_webcal_url(client, runner, make_division):
    division = make_division()

    https, webcal = feed_url_lines(runner, division.slug)

    assert https.startswith("http://localhost/feeds/agenda/") and https.endswith(".ics")  # PUBLIC_BASE_URL
    assert webcal == "webcal://" + https.split("://", 1)[1]
    response = client.get(https.removeprefix("http://localhost"))
    assert response.status_code == 200 and b"BEGIN:VCALENDAR" in response.data


def test_feed_url_shows_the_same_link_until_rotated(client, runner, make_division):
    division = make_division()
    first, _ = feed_url_lines(runner, division.slug)
    again, _ = feed_url_lines(runner, division.slug)
    rotated, _ = feed_url_lines(runner, division.slug, "--rotate")

    assert again == first and rotated != first
    assert client.get(first.removeprefix("http://localhost")).status_code == 404
    assert client.get(rotated.removeprefix("http://localhost")).status_code == 200


def test_feed_url_uses_the_public_base_url(app, runner, make_division):
    app.config["PUBLIC_BASE_URL"] = "https://priem.mosteplo.example/booking"

    https, webcal = feed_url_lines(runner, make_division().slug)

    assert https.startswith("https://priem.mosteplo.example/booking/feeds/agenda/")
    assert webcal.startswith("webcal://priem.mosteplo.example/booking/feeds/agenda/")


def test_feed_url_refuses_an_unknown_division(runner):
    result = runner.invoke(args=["feed-url", "no-such-division"])
    assert result.exit_code != 0 and "no-such-division" in result.output


def test_feed_url_asks_for_rotation_when_the_link_cannot_be_shown(app, runner, make_division):
    division = make_division()
    feed_url_lines(runner, division.slug)
    app.config["SECRET_KEY"] = "a-new-secret"

    result = runner.invoke(args=["feed-url", division.slug])

    assert result.exit_code != 0 and "--rotate" in result.output
    assert len(feed_url_lines(runner, division.slug, "--rotate")) == 2


# --- the box on the agenda page and its button ---------------------------------------------------


def test_a_head_creates_then_replaces_the_link_from_the_agenda_page(
        client, make_division, make_user, log_in_as, agenda_page):
    division = make_division()
    log_in_as(make_user(Role.HEAD, [division]))

    page = client.get(agenda_page(division)).get_data(as_text=True)
    assert "Create a link" in page and "webcal://" not in page
    action, fields = form_fields(page)
    assert fields["next"] == agenda_page(division)
    created = client.post(action, data=fields, follow_redirects=True)
    assert created.request.full_path == agenda_page(division)
    page = created.get_data(as_text=True)

    exists, token = feed_service.feed_token_state(division, feed_settings())
    assert exists and f'value="http://localhost{agenda_path(token)}"' in page
    assert f'value="webcal://localhost{agenda_path(token)}"' in page
    assert client.get(agenda_path(token)).status_code == 200

    action, fields = form_fields(page)
    replaced = client.post(action, data=fields, follow_redirects=True)
    new_token = feed_service.feed_token_state(division, feed_settings())[1]
    assert new_token != token and agenda_path(new_token) in replaced.get_data(as_text=True)
    assert "The previous link no longer works." in replaced.get_data(as_text=True)
    assert client.get(agenda_path(token)).status_code == 404
    assert client.get(agenda_path(new_token)).status_code == 200


def test_an_admin_may_rotate_any_divisions_link(client, make_division, make_user, log_in_as, feed_token):
    division = make_division()
    old = feed_token(division)
    log_in_as(make_user(Role.ADMIN))

    response = client.post_form(f"/feeds/agenda/{division.slug}/rotate")

    assert response.status_code == 303
    assert client.get(agenda_path(old)).status_code == 404


@pytest.mark.parametrize("role, own", [(Role.HEAD, False), (Role.OPERATOR, True)])
def test_other_staff_may_not_rotate(client, make_division, make_user, log_in_as, feed_token, role, own):
    division, elsewhere = make_division(), make_division()
    token = feed_token(division)
    log_in_as(make_user(role, [division] if own else [elsewhere]))

    response = client.post_form(f"/feeds/agenda/{division.slug}/rotate")

    assert response.status_code == 403
    assert feed_service.feed_token_state(division, feed_settings()) == (True, token)


def test_an_anonymous_visitor_is_sent_to_log_in(client, make_division, feed_token):
    division = make_division()
    token = feed_token(division)

    response = client.post_form(f"/feeds/agenda/{division.slug}/rotate")

    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert feed_service.feed_token_state(division, feed_settings()) == (True, token)


def test_rotation_needs_the_form_token_and_never_redirects_off_site(client, make_division, make_user, log_in_as):
    division = make_division()
    log_in_as(make_user(Role.HEAD, [division]))
    path = f"/feeds/agenda/{division.slug}/rotate"

    assert client.post(path).status_code == 400
    assert feed_service.feed_token_state(division, feed_settings()) == (False, None)

    response = client.post_form(path, {"next": "//evil.example/x"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
