"""Security of the running site: headers, no inline code, private pages, cookies, proxies, secrets, logs."""
import logging
import os
import re
import stat
import subprocess
import sys
from urllib.parse import quote

import pytest

from booking.config import DEV_SECRET_KEY, ConfigurationError, settle_secret_key
from booking.models import Booking, BookingStatus
from booking.security import redact
from helpers import MSK, csrf_token, first_free_day, slot_start
from prod.kit import ROOT, api_payload, booking_form, fresh_clone


@pytest.fixture
def booked(make_division, make_booking):
    division = make_division(places=2)
    booking, token = make_booking(division, slot_start(first_free_day(), "10:20"))
    return division, booking, token


def public_urls(division):
    start = quote(slot_start(first_free_day(), "11:00").astimezone(MSK).isoformat())
    return ["/", f"/divisions/{division.slug}", f"/divisions/{division.slug}/book?start={start}",
            "/api/v1/divisions", "/api/v1/openapi.json", "/static/style.css", "/no-such-page"]


def test_every_response_forbids_inline_code_framing_and_sniffing(client, booked):
    division, booking, token = booked
    for url in public_urls(division) + [f"/bookings/{booking.code}?token={token}"]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")


def test_public_pages_send_referer_only_to_this_site_and_may_be_cached(client, booked):
    division, _booking, _token = booked
    for url in public_urls(division):
        response = client.get(url)
        assert response.headers["Referrer-Policy"] == "same-origin", url
        assert "no-store" not in response.headers.get("Cache-Control", ""), url


def test_pages_reached_with_a_token_send_no_referer_and_are_never_stored(client, booked, api_key):
    division, booking, token = booked
    responses = {
        "manage page": client.get(f"/bookings/{booking.code}", query_string={"token": token}),
        "move page": client.get(f"/bookings/{booking.code}/move", query_string={"token": token}),
        "wrong token": client.get(f"/bookings/{booking.code}", query_string={"token": "x" + token}),
        "api booking": client.get(f"/api/v1/bookings/{booking.code}", headers={"Authorization": f"Bearer {token}"}),
        "api new booking": client.post("/api/v1/bookings", headers={"X-API-Key": api_key}, json=api_payload(
            division.slug, slot_start(first_free_day(), "11:00"), email="new@example.ru", phone="+79160000077")),
    }
    assert responses["api new booking"].status_code == 201
    for name, response in responses.items():
        assert response.headers["Referrer-Policy"] == "no-referrer", name
        assert response.headers["Cache-Control"] == "no-store", name


def test_the_manage_page_does_not_link_out_with_its_token(client, booked):
    _division, booking, token = booked
    html = client.get(f"/bookings/{booking.code}", query_string={"token": token}).get_data(as_text=True)
    external = re.findall(r'(?:href|src|action)="(https?://[^"]+)"', html)
    assert external == []


INLINE_CODE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def inline_code(html):
    return [name for name, pattern in INLINE_CODE.items() if pattern.search(html)]


def test_no_template_carries_inline_scripts_styles_or_handlers():
    """The CSP would block them: every page template, including those added later, keeps code in static files.

    E-mail bodies are not pages: mail clients ignore linked stylesheets, so their styles are inline,
    but they must never carry scripts or handlers either.
    """
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert templates
    emails = [t for t in templates if "email" in t.relative_to(ROOT).parts]
    for template in emails:
        kinds = set(inline_code(template.read_text(encoding="utf-8"))) - {"style attribute", "style element"}
        assert not kinds, (template, kinds)
    templates = [t for t in templates if t not in emails]
    found = {str(t.relative_to(ROOT)): inline_code(t.read_text(encoding="utf-8")) for t in templates}
    assert {name: kinds for name, kinds in found.items() if kinds} == {}


def test_rendered_pages_carry_no_inline_code(client, booked):
    division, booking, token = booked
    for url in public_urls(division)[:3] + [f"/bookings/{booking.code}?token={token}",
                                            f"/bookings/{booking.code}/move?token={token}"]:
        assert inline_code(client.get(url).get_data(as_text=True)) == [], url


@pytest.mark.parametrize("behind_https", [False, True])
def test_cookies_are_http_only_and_same_site_and_secure_behind_https(app_config, behind_https):
    from booking import create_app

    app = create_app({**app_config, "BEHIND_HTTPS": behind_https})
    response = app.test_client().get("/lang/en", base_url="https://localhost" if behind_https else "http://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is behind_https
    assert ("Strict-Transport-Security" in response.headers) is behind_https


def test_forms_work_over_https_although_token_pages_send_no_referer(app_config, make_division, make_booking, db):
    from booking import create_app

    division = make_division()
    booking, token = make_booking(division, slot_start(first_free_day(), "10:20"))
    app = create_app({**app_config, "BEHIND_HTTPS": True})
    client = app.test_client()
    page = client.get(f"/bookings/{booking.code}/cancel", query_string={"token": token}, base_url="https://localhost")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # What the browser sends: no Referer header at all.
    response = client.post(f"/bookings/{booking.code}/cancel", base_url="https://localhost",
                           data={"csrf_token": csrf_token(page), "token": token})
    assert response.status_code == 303
    db.session.rollback()  # end the test's own read transaction, whose snapshot predates the cancel
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED


def test_a_form_without_its_csrf_token_is_refused(client, make_division, db):
    division = make_division()
    data = booking_form(client, division.slug, slot_start(first_free_day(), "10:20"))
    del data["csrf_token"]
    response = client.post(f"/divisions/{division.slug}/book", data=data)
    assert response.status_code == 400
    assert db.session.query(Booking).count() == 0


def test_proxy_headers_count_only_when_configured(app_config, make_division, make_booking):
    from booking import create_app

    division = make_division()
    booking, token = make_booking(division, slot_start(first_free_day(), "10:20"))
    url = f"/bookings/{booking.code}?token={token}"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "priyom.example.ru",
                 "X-Forwarded-For": "203.0.113.9"}

    plain = create_app(app_config).test_client().get(url, headers=forwarded)
    assert plain.status_code == 200 and 'http://localhost/bookings/' in plain.text

    proxy_fix = {"PROXY_FIX_X_FOR": 1, "PROXY_FIX_X_PROTO": 1, "PROXY_FIX_X_HOST": 1}
    # The forwarded host now counts, and it is not this deployment's address.
    assert create_app({**app_config, **proxy_fix}).test_client().get(url, headers=forwarded).status_code == 400
    proxied_app = create_app({**app_config, **proxy_fix, "PUBLIC_BASE_URL": "https://priyom.example.ru"})
    proxied = proxied_app.test_client().get(url, headers=forwarded)
    assert proxied.status_code == 200 and 'https://priyom.example.ru/bookings/' in proxied.text


# --- the secret key ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", [None, "", DEV_SECRET_KEY, "short-key"])
def test_production_refuses_a_missing_default_or_weak_secret_key(tmp_path, key):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        settle_secret_key({"SECRET_KEY": key}, str(tmp_path), debug=False)


def test_production_keeps_a_real_secret_key(tmp_path):
    config = {"SECRET_KEY": "k" * 40}
    settle_secret_key(config, str(tmp_path), debug=False)
    assert config["SECRET_KEY"] == "k" * 40


@pytest.mark.parametrize("mode", [{"DEMO_MODE": True}, {"debug": True}])
def test_demo_and_debug_get_a_random_key_kept_in_the_instance_folder(tmp_path, mode):
    first, second = {"SECRET_KEY": DEV_SECRET_KEY, **mode}, {"SECRET_KEY": None, **mode}
    debug = first.pop("debug", False)
    second.pop("debug", None)
    settle_secret_key(first, str(tmp_path), debug=debug)
    settle_secret_key(second, str(tmp_path), debug=debug)
    assert first["SECRET_KEY"] == second["SECRET_KEY"] != DEV_SECRET_KEY
    assert len(first["SECRET_KEY"]) >= 32
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_application_refuses_to_start_without_a_secret_key(tmp_path):
    # A fresh clone: this checkout's instance/ may be a demonstration's, which runs without one.
    clone = fresh_clone(tmp_path)
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "DEMO_MODE", "FLASK_DEBUG") and not k.startswith("FLASK_")}
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=clone, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr and "Traceback" not in result.stderr


def test_demo_mode_starts_with_zero_configuration(monkeypatch):
    """What ``make run`` relies on."""
    from booking import create_app

    for name in [k for k in os.environ if k == "SECRET_KEY" or k.startswith("FLASK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DEMO_MODE", "1")
    monkeypatch.setenv("PORT", "5123")
    marker = ROOT / "instance" / "demo"
    kept = marker.read_bytes() if marker.exists() else None
    try:
        app = create_app()
        assert app.config["SECRET_KEY"] not in ("", None, DEV_SECRET_KEY)
        assert app.config["SECRET_KEY"] == create_app().config["SECRET_KEY"]
        assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5123"
        assert marker.read_text().strip() == "http://127.0.0.1:5123"
    finally:  # this checkout's own demonstration, if any, keeps its address
        if kept is None:
            marker.unlink(missing_ok=True)
        else:
            marker.write_bytes(kept)


# --- logs -------------------------------------------------------------------------------------

def test_tokens_are_redacted_from_log_text():
    token = "h3Jx9Kq_4vN2-pLmZ8sT0yWcR7bE5uGdA1fQiOkXnYo"
    line = f'127.0.0.1 - - "GET /bookings/K7Q-4M2?token={token}&new=1 HTTP/1.1" 303 -'
    assert redact(line) == '127.0.0.1 - - "GET /bookings/K7Q-4M2?token=[redacted]&new=1 HTTP/1.1" 303 -'
    assert token not in redact(f"Authorization: Bearer {token}")
    assert token not in redact(f"GET /feeds/{token}.ics")
    assert redact("GET /divisions/severny-filial/book?start=2026-12-02T10:00") == \
        "GET /divisions/severny-filial/book?start=2026-12-02T10:00"


def test_request_and_server_loggers_never_print_a_token(app, caplog):
    token = "h3Jx9Kq_4vN2-pLmZ8sT0yWcR7bE5uGdA1fQiOkXnYo"
    for name in ("werkzeug", "gunicorn.error", app.logger.name):
        # Each logger at INFO here, whatever another test (a quiet live server) set it to.
        with caplog.at_level(logging.INFO, logger=name):
            logging.getLogger(name).info('"GET /bookings/K7Q-4M2?token=%s HTTP/1.1" 200 -', token)
    assert len(caplog.records) == 3
    assert token not in caplog.text


def test_pages_of_a_logged_in_member_of_staff_or_marked_private_are_never_stored(app):
    from booking.security import mark_private, private

    app.add_url_rule("/private-for-test", "private_view", private(lambda: "personal"))
    app.add_url_rule("/marked-for-test", "marked_view", lambda: mark_private() or "personal")
    client = app.test_client()
    for url in ("/private-for-test", "/marked-for-test"):
        assert client.get(url).headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in client.get("/").headers
    with client.session_transaction() as staff_session:
        staff_session["_user_id"] = "1"
    response = client.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
