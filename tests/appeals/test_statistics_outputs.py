"""The statistics in their other forms: the report command's files, the JSON API, periods and charts."""
import csv
import io
import json
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from booking import bookings as services
from booking.core.timeutil import now_utc
from booking.models import Booking, BookingStatus
from helpers import MSK, slot_start
from staff_support import text


@pytest.fixture
def quarter(db, make_division, make_booking, past_day):
    """Two bookings of one division on ``past_day``, one for another division."""
    division = make_division(slug="yuzhny", weekdays=range(7))
    other = make_division(slug="abonentsky", weekdays=range(7))
    for target, clock, topic in ((division, "10:00", "heating"), (division, "10:20", "hot_water"),
                                 (other, "10:00", "billing")):
        start = slot_start(past_day, clock)
        make_booking(target, start, now=start - timedelta(hours=3), topic=topic)
    return division


def test_the_report_command_writes_csv_xlsx_and_json(runner, quarter, past_day, tmp_path):
    period = ["--from", past_day.isoformat(), "--to", past_day.isoformat()]
    for fmt in ("csv", "xlsx", "json"):
        result = runner.invoke(args=["report", *period, "--division", "yuzhny", "--format", fmt, "--output",
                                     str(tmp_path / f"r.{fmt}")])
        assert result.exit_code == 0, result.output
    figures = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert figures["division"] == "yuzhny" and figures["bookings_by_channel"]["total"] == 2
    assert figures["by_topic"]["heating"] == 1 and figures["by_topic"]["billing"] == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text("utf-8-sig")), delimiter=";"))
    assert ["Всего записей", "2"] in rows and ["Отопление", "1"] in rows
    book = load_workbook(tmp_path / "r.xlsx")
    topics = book[book.sheetnames[1]]
    assert topics["A1"].value.startswith("Записи по темам")
    assert [row for row in topics.iter_rows(min_row=3, values_only=True)][0] == ("Отопление", 1)
    weeks = book[book.sheetnames[3]]
    assert all(isinstance(cell, int) for (_, cell) in weeks.iter_rows(min_row=3, values_only=True))
    assert runner.invoke(args=["report", *period, "--division", "nowhere"]).exit_code != 0
    assert runner.invoke(args=["report", "--from", "2026-12-31", "--to", "2026-10-01"]).exit_code != 0


def test_the_api_refuses_clients_without_the_statistics_permission(client, make_api_key, quarter, past_day):
    url = f"/api/v1/statistics?from={past_day}&to={past_day}"
    without = client.get(url)
    assert without.status_code == 401 and without.json["error"] == "unauthorized"
    assert without.headers["WWW-Authenticate"].startswith("Bearer")
    bookings_only = make_api_key("Горячая линия", ("bookings",))
    for headers in ({"X-API-Key": bookings_only}, {"Authorization": f"Bearer {bookings_only}"}):
        refused = client.get(url, headers=headers)
        assert refused.status_code == 401 and refused.json["error"] == "unauthorized"
        assert "bookings_by_channel" not in refused.json
    unknown = client.get(url, headers={"X-API-Key": "pk_" + "x" * 40})
    assert unknown.status_code == 401


def test_a_revoked_statistics_key_stops_working(db, client, make_api_key, quarter, past_day):
    from booking.accounts import api_clients

    key = make_api_key("Руководство", ("statistics",))
    url = f"/api/v1/statistics?from={past_day}&to={past_day}"
    assert client.get(url, headers={"X-API-Key": key}).status_code == 200
    [api_client] = [c for c in api_clients.all_clients() if c.name == "Руководство"]
    assert api_client.last_used_at is not None  # the use is noted
    api_clients.revoke(api_client, now_utc())
    db.session.commit()
    assert client.get(url, headers={"X-API-Key": key}).status_code == 401


def test_the_api_answers_the_report_as_json(client, make_api_key, quarter, past_day):
    key = make_api_key("Руководство", ("statistics",))
    headers = {"Authorization": f"Bearer {key}"}
    response = client.get(f"/api/v1/statistics?from={past_day}&to={past_day}", headers=headers)
    assert response.status_code == 200
    assert response.json["bookings_by_channel"]["total"] == 3 and response.json["division"] is None
    one = client.get(f"/api/v1/statistics?from={past_day}&to={past_day}&division=yuzhny",
                     headers={"X-API-Key": key}).json
    assert one["bookings_by_channel"]["total"] == 2
    bad = client.get("/api/v1/statistics?from=2026-13-01&to=&division=nowhere", headers=headers)
    assert bad.status_code == 400 and set(bad.json["fields"]) == {"from", "to", "division"}
    reversed_period = client.get("/api/v1/statistics?from=2026-12-31&to=2026-10-01", headers=headers)
    assert reversed_period.status_code == 400 and "to" in reversed_period.json["fields"]
    for far in ("from=0001-01-01&to=0001-01-02", "from=9999-12-30&to=9999-12-31"):
        refused = client.get(f"/api/v1/statistics?{far}", headers=headers)
        assert refused.status_code == 400 and set(refused.json["fields"]) == {"from", "to"}


def test_periods_month_quarter_and_a_bad_one(client, log_in_as, make_user, quarter):
    log_in_as(make_user("director"))
    page = text(client.get("/staff/statistics?period=quarter&quarter=2026-4"))
    assert 'value="2026-10-01"' in page and 'value="2026-12-31"' in page
    page = text(client.get("/staff/statistics?period=month&month=2026-02"))
    assert 'value="2026-02-28"' in page
    # Whatever the period, the quarter offered is the one it lies in, not the first of the list.
    assert '<option value="2026-1" selected>' in page
    assert "counted by the day they were made" in page
    bad = client.get("/staff/statistics?period=custom&from=2026-12-31&to=2026-01-01")
    assert bad.status_code == 422 and "Choose a period" in text(bad)


def test_a_head_sees_only_their_division_and_the_charts_have_titles_and_tables(client, log_in_as, make_user, quarter,
                                                                               past_day):
    log_in_as(make_user("head", divisions=[quarter]))
    page = text(client.get(f"/staff/statistics?period=custom&from={past_day}&to={past_day}"))
    assert "All divisions" not in page and "abonentsky" not in page
    assert page.count('role="img"') == page.count("<title id=") >= 4
    assert page.count('<table class="figures">') >= 6
    assert "style=" not in page and "<script>" not in page


def test_the_api_answer_is_as_the_openapi_document_describes(app, make_api_key, quarter, past_day):
    import schemathesis
    from schemathesis.checks import response_schema_conformance, status_code_conformance

    from booking.api.openapi import openapi_document

    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(openapi_document())))
    operation = schema["/statistics"]["GET"]
    refused = operation.Case(query={"from": str(past_day), "to": str(past_day)})
    assert refused.call_and_validate(app=app, checks=[status_code_conformance]).status_code == 401
    assert operation.definition.raw["security"] == [{"apiKey": []}, {"apiKeyBearer": []}]
    key = make_api_key("Руководство", ("statistics",))
    for query, status in (({"from": str(past_day), "to": str(past_day)}, 200),
                          ({"from": str(past_day), "to": str(past_day), "division": "yuzhny"}, 200),
                          ({"from": "2026-12-31", "to": "2026-01-01"}, 400)):
        response = operation.Case(query=query, headers={"X-API-Key": key}).call_and_validate(
            app=app, checks=[status_code_conformance, response_schema_conformance])
        assert response.status_code == status


def test_numbers_are_written_as_the_reader_writes_them(db, client, log_in_as, make_user, quarter, past_day):
    director = log_in_as(make_user("director"))
    visit = db.session.scalars(db.select(Booking).where(Booking.division_id == quarter.id)).first()
    services.mark_booking(visit, BookingStatus.ATTENDED, now_utc(), services.Actor(kind="director", user=director),
                          MSK)
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    page = text(client.get(f"/staff/statistics?period=custom&from={past_day}&to={past_day}"))
    # The median from booking to visit: 3 hours, in the row that names it.
    assert re.search(r'Медиана, дней от записи до приёма</th><td class="number"[^>]*>0,1</td>', page)
