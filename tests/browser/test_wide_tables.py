"""Staff tables and the demo mailbox fit a phone: the page never scrolls sideways."""
import pytest

from booking import accounts
from booking.extensions import db
from citizen import assert_fits_width

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


@pytest.fixture
def administrator(live_server):
    with live_server.app.app_context():
        user = accounts.create_user("wide-tables@priyom.example", "admin", PASSWORD, name="Админ")
        db.session.commit()
        return user.email


def test_the_agenda_and_administration_fit_a_phone(new_page, live_server, administrator):
    live_server.book()
    page = new_page("ru", "phone")
    page.goto("/login")
    page.get_by_label("Электронная почта").fill(administrator)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    for path in ("/agenda?division=severny-filial", "/admin/", "/admin/divisions/severny-filial", "/admin/users"):
        page.goto(path)
        assert page.locator("main table").count() >= 1, path
        assert_fits_width(page)


def test_the_demo_mailbox_fits_a_phone(new_page, live_server):
    live_server.book()
    live_server.app.config["DEMO_MODE"] = True
    try:
        page = new_page("ru", "phone")
        page.goto("/demo/mailbox")
        assert page.locator("main table tbody tr").count() >= 1
        assert_fits_width(page)
    finally:
        live_server.app.config["DEMO_MODE"] = False
