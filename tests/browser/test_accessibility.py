"""Every public page passes axe-core (WCAG 2.1 AA and best practices) and keeps its headings in order."""
import pytest

from citizen import PUBLIC_PAGES, open_public_page

pytestmark = pytest.mark.browser

HEADINGS = """() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .filter(h => h.getClientRects().length > 0 || h.classList.contains("visually-hidden"))
    .map(h => Number(h.tagName[1]))"""


def _report(violations):
    return "\n".join(f"{v['impact']}: {v['id']} — {v['help']} at {', '.join(v['targets'])}" for v in violations)


# Every page in both languages; on a phone too where the narrow layout changes what is shown.
CASES = ([(name, lang, "desktop") for name in PUBLIC_PAGES for lang in ("ru", "en")]
         + [(name, "ru", "phone") for name in ("division", "book-errors", "manage")])


@pytest.mark.parametrize("name, lang, size", CASES)
def test_no_serious_accessibility_problems(new_page, live_server, axe, name, lang, size):
    page = new_page(lang, size)
    open_public_page(page, name, live_server, lang)

    violations = axe(page)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, _report(serious)

    levels = page.evaluate(HEADINGS)
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"a heading level is skipped: {levels}"


STAFF_PAGES = {"account": "/staff/account", "login-throttled": None}


def _staff_member(live_server, email):
    from booking import accounts
    from booking.extensions import db

    with live_server.app.app_context():
        if accounts.find_user(email) is None:
            accounts.create_user(email, "head", "a long test password")
            db.session.commit()
    return email


def _log_in(page, lang, email, password):
    labels = {"ru": ("Электронная почта", "Пароль", "Войти"), "en": ("E-mail", "Password", "Log in")}[lang]
    page.goto("/login")
    page.get_by_label(labels[0], exact=True).fill(email)
    page.get_by_label(labels[1], exact=True).fill(password)
    page.get_by_role("button", name=labels[2], exact=True).click()


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_account_and_throttled_login_pages_pass_axe(new_page, live_server, axe, name, lang):
    page = new_page(lang)
    if name == "account":
        _log_in(page, lang, _staff_member(live_server, f"axe-{lang}@priyom.example"), "a long test password")
        page.goto(STAFF_PAGES[name])
        assert page.locator("form[action$='logout-everywhere']").count() == 1
    else:
        for _ in range(4):
            _log_in(page, lang, f"nobody-{lang}@priyom.example", "wrong password")
        assert page.locator("#problem").count() == 1
    serious = [v for v in axe(page) if v["impact"] in ("serious", "critical")]
    assert not serious, _report(serious)
    levels = page.evaluate(HEADINGS)
    assert levels[0] == 1 and levels.count(1) == 1, levels
