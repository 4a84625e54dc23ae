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
