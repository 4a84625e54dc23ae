"""Browser tests: the real application served on 127.0.0.1, driven by Debian's Chromium through Playwright.

Fixtures for a test:

- ``live_server`` (session): the application on a free port, a temporary SQLite
  database with the demo divisions, the strict Content-Security-Policy the pages
  are written for. ``live_server.url``; ``live_server.app`` for work in the
  database (``with live_server.app.app_context(): ...``); ``live_server.book()``
  makes an appointment and returns ``(code, token)``.
- ``browser`` (pytest-playwright, session): one headless Chromium for the run.
- ``new_page(lang="ru", size="desktop", javascript=True)``: a page in a fresh
  context (its own cookies) whose browser asks for ``lang``; relative URLs work.
  Errors in the page's console (a script error, a CSP refusal) fail the test.
- ``axe``: ``axe(page)`` runs axe-core in the page and returns its violations.
- ``shoot``: ``shoot(page, name)`` saves a full-page screenshot in test-artifacts/screenshots/.
"""
import itertools
import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from booking import bookings as booking_ops
from booking import create_app
from booking.cli import seed_demo_divisions
from booking.extensions import db
from booking.core.timeutil import now_utc
from booking.notify.settings import mailroom_of
from booking.operator import DEMO_OPERATOR
from skips import unavailable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
SIZES = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
# What the pages are written for; a deployment may send its own, as strict.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.access(CHROMIUM, os.X_OK):
        unavailable("SKIP_BROWSER", f"{CHROMIUM} is missing (Debian package chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@dataclass
class LiveServer:
    app: object
    url: str
    _numbers: object = field(default_factory=lambda: itertools.count(1))

    def citizen(self):
        """Details no other test uses, so the one-appointment-per-person rule never interferes."""
        n = next(self._numbers)
        return {"full_name": "Петрова Анна Сергеевна", "phone": f"+7916{5000000 + n:07d}",
                "email": f"citizen{n}@example.ru"}

    def book(self, slug="severny-filial"):
        """Book the first free time of a division from tomorrow on, directly; returns ``(code, token)``."""
        with self.app.app_context():
            division = booking_ops.get_division(slug)
            now = now_utc()
            policy = booking_ops.Policy.from_config(self.app.config)
            slot = next(slot for slot in booking_ops.slot_views(division, now, policy)
                        if slot.start_dt > now + timedelta(days=1))
            details = booking_ops.CitizenDetails(topic="heating", **self.citizen())
            booking, token = booking_ops.create_booking(division, slot.start_dt, details, now, policy,
                                                        mailroom_of(self.app))
            db.session.commit()
            return booking.code, token


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("live") / "priyom.sqlite3"
    app = create_app({
        "SECRET_KEY": "browser-tests-secret-key-32-characters-long",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "MAIL_SUPPRESS_SEND": True,
        "RATELIMIT_ENABLED": False,
        **DEMO_OPERATOR,
    })

    @app.after_request
    def _strict_csp(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    with app.app_context():
        db.create_all()
        seed_demo_divisions()
        db.session.commit()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"  # links shown on the pages
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def new_page(browser, live_server):
    contexts, problems = [], []

    def open_page(lang="ru", size="desktop", javascript=True):
        context = browser.new_context(locale=lang, base_url=live_server.url, java_script_enabled=javascript,
                                      **SIZES[size])
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
                if response.status >= 400 and response.request.resource_type != "document" else None)
        return page

    yield open_page
    for context in contexts:
        context.close()
    # A page answered with 404 or 422 is logged by the browser as a failed load: the tests judge those
    # themselves. Resources (style sheet, script) that fail are caught by status above.
    problems = [p for p in problems if not p.startswith("Failed to load resource: the server responded")]
    assert not problems, "the page reported errors:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("SKIP_BROWSER", "npm is missing, so axe-core cannot be installed (Debian package npm)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=600)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source):
    def run(page):
        """The violations axe-core finds against WCAG 2.1 A/AA and its best practices."""
        # Evaluated through the debugging protocol, not added as a <script>, so the page's CSP allows it.
        page.evaluate(axe_source + "\n;undefined")
        return page.evaluate("""async () => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
                resultTypes: ["violations"],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }""")

    return run


@pytest.fixture(scope="session")
def shoot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(page, name):
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    return save
