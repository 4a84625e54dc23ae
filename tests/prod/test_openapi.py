"""The OpenAPI document at /api/v1/openapi.json describes what the API really does."""
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, positive_data_acceptance,
                                 response_schema_conformance, status_code_conformance)

from booking.api.openapi import openapi_document
from helpers import MSK, first_free_day, slot_start
from prod.kit import api_payload

schema = schemathesis.openapi.from_dict(json.loads(json.dumps(openapi_document())))


@pytest.fixture
def api_app(app, make_division, make_booking):
    division = make_division(slug="severny-filial", places=3)
    make_booking(division, slot_start(first_free_day(), "10:00"))
    return app


def test_the_document_names_the_api_key_for_creating_bookings():
    document = openapi_document()
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["apiKeyBearer"]["scheme"] == "bearer"
    create = document["paths"]["/bookings"]["post"]
    assert create["security"] == [{"apiKey": []}, {"apiKeyBearer": []}]
    assert "401" in create["responses"]
    assert "security" not in document["paths"]["/divisions"]["get"]  # reading stays open


def test_the_served_document_is_the_one_tested(client):
    assert client.get("/api/v1/openapi.json").get_json() == json.loads(json.dumps(openapi_document()))


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, api_app, make_api_key):
    if case.operation.path == "/bookings":
        case.headers = {**(case.headers or {}), "X-API-Key": make_api_key()}
    # A request can fit the schema and still be refused with the documented 422: a phone number or a
    # name is checked beyond what JSON Schema can say.
    case.call_and_validate(app=api_app, excluded_checks=[positive_data_acceptance])


# --- every documented answer, produced on purpose and checked against the document --------------

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def call(app, path, method, expected, **case):
    """Make ``case`` against ``app``; the status must be ``expected`` and the answer as documented."""
    response = schema[path][method].Case(**case).call_and_validate(app=app, checks=CHECKS)
    assert response.status_code == expected, response.text
    return response.json() if response.text else None


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_each_documented_status_is_real_and_shaped_as_documented(app_config, make_division, make_booking,
                                                                 api_key):
    from booking import create_app

    # Every POST /bookings below counts: the ninth is one too many.
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "API_BOOKING_RATE_LIMIT": "8 per minute"})
    key = {"X-API-Key": api_key}
    division = make_division(slug="severny-filial", places=1)
    day = first_free_day()
    taken, token = make_booking(division, slot_start(day, "10:00"))
    start = slot_start(day, "10:20").astimezone(MSK).isoformat()

    call(app, "/divisions", "GET", 200)
    call(app, "/divisions/{slug}/slots", "GET", 200, path_parameters={"slug": "severny-filial"})
    call(app, "/divisions/{slug}/slots", "GET", 404, path_parameters={"slug": "nowhere"})
    call(app, "/divisions/{slug}/slots", "GET", 422, path_parameters={"slug": "severny-filial"},
         query={"from": "2026-13-45"})

    unauthorized = call(app, "/bookings", "POST", 401, headers={"X-API-Key": "pk_wrong"},
                        body=api_payload("severny-filial", slot_start(day, "10:20")), media_type="application/json")
    assert unauthorized["error"] == "unauthorized"
    created = call(app, "/bookings", "POST", 201, headers=key,
                   body=api_payload("severny-filial", slot_start(day, "10:20")), media_type="application/json")
    assert created["manage_token"] and created["start"] == start
    conflict = call(app, "/bookings", "POST", 409, headers=key, media_type="application/json",
                    body=api_payload("severny-filial", slot_start(day, "10:20"), email="other@example.ru",
                                     phone="+79160000011"))
    assert conflict["error"] == "slot_taken" and conflict["alternatives"]
    call(app, "/bookings", "POST", 404, headers=key, body=api_payload("nowhere", slot_start(day, "10:40")),
         media_type="application/json")
    invalid = call(app, "/bookings", "POST", 422, headers=key, media_type="application/json",
                   body=api_payload("severny-filial", slot_start(day, "10:40"), email="not an address"))
    assert set(invalid["fields"]) == {"email"}
    call(app, "/bookings", "POST", 400, headers=key, body=[1, 2], media_type="application/json")
    call(app, "/bookings", "POST", 415, headers=key, body="name=x", media_type="text/plain")
    call(app, "/bookings", "POST", 413, headers=key, body={"message": "x" * 100_000},
         media_type="application/json")
    call(app, "/bookings", "POST", 429, headers=key, body={}, media_type="application/json")

    code = created["code"]
    call(app, "/bookings/{code}", "GET", 200, path_parameters={"code": taken.code}, headers=bearer(token))
    call(app, "/bookings/{code}", "GET", 404, path_parameters={"code": taken.code}, headers=bearer("wrong"))
    moved = call(app, "/bookings/{code}/reschedule", "POST", 200, path_parameters={"code": taken.code},
                 headers=bearer(token), body={"start": slot_start(day, "11:00").isoformat()},
                 media_type="application/json")
    assert moved["start"] == slot_start(day, "11:00").astimezone(MSK).isoformat()
    call(app, "/bookings/{code}/reschedule", "POST", 409, path_parameters={"code": taken.code},
         headers=bearer(token), body={"start": start}, media_type="application/json")  # the new booking's time
    call(app, "/bookings/{code}/reschedule", "POST", 422, path_parameters={"code": taken.code},
         headers=bearer(token), body={"start": "tomorrow"}, media_type="application/json")
    call(app, "/bookings/{code}/reschedule", "POST", 400, path_parameters={"code": taken.code},
         headers=bearer(token), body="[]", media_type="application/json")
    call(app, "/bookings/{code}/reschedule", "POST", 415, path_parameters={"code": taken.code},
         headers=bearer(token), body="start", media_type="text/plain")
    call(app, "/bookings/{code}/reschedule", "POST", 404, path_parameters={"code": code}, headers=bearer(token),
         body={"start": start}, media_type="application/json")
    call(app, "/bookings/{code}/cancel", "POST", 200, path_parameters={"code": taken.code}, headers=bearer(token))
    call(app, "/bookings/{code}/cancel", "POST", 409, path_parameters={"code": taken.code}, headers=bearer(token))
    call(app, "/bookings/{code}/cancel", "POST", 404, path_parameters={"code": "AAA-AAA"}, headers=bearer(token))


def test_an_unavailable_database_is_a_documented_503(app_config):
    from booking import create_app
    from pg import free_port

    app = create_app({**app_config, "DATABASE_CONNECT_TIMEOUT": 2,
                      "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"})
    booking = api_payload("severny-filial", slot_start(first_free_day(), "10:00"))
    for path, method, body in [("/divisions", "GET", None), ("/bookings", "POST", booking)]:
        # A key that looks real, so that the database is asked about it.
        case = schema[path][method].Case(body=body, media_type="application/json",
                                         headers={"X-API-Key": "pk_" + "k" * 43}) if body else \
            schema[path][method].Case()
        response = case.call_and_validate(app=app, checks=CHECKS[1:])
        assert response.status_code == 503
        assert {k.lower(): v for k, v in response.headers.items()}["retry-after"] == ["30"]
