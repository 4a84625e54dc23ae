"""The OpenAPI description of ``GET /api/v1/statistics``, merged into the API's document."""
from ..models import Topic
from .models import Outcome, Result
from .statistics import ANSWER_STATES, CHANNELS, VISIT_STATES


def _counts(keys):
    keys = list(keys)
    return {"type": "object", "required": keys, "additionalProperties": False,
            "properties": {k: {"type": "integer", "minimum": 0} for k in keys}}


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def statistics_paths():
    """The path of the statistics report."""
    day = {"type": "string", "format": "date"}
    return {"/statistics": {"get": {
        "summary": "The leadership's figures for a period (needs an API key with the statistics permission)",
        "operationId": "getStatistics",
        "security": [{"apiKey": []}, {"apiKeyBearer": []}],
        "parameters": [
            {"name": "from", "in": "query", "required": True, "schema": day, "description": "First local date."},
            {"name": "to", "in": "query", "required": True, "schema": day,
             "description": "Last local date, inclusive; at most two years after `from`."},
            {"name": "division", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "A division's slug; all divisions when absent."},
        ],
        "responses": {
            "200": {"description": "The figures", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Statistics"}}}},
            "400": _error("A date is missing or malformed, the period is reversed or too long, or no such division"),
            "401": _error("No API key, an unknown or revoked key, or a key without the statistics permission"),
        },
    }}}


def statistics_schemas():
    """The schemas the statistics path refers to."""
    week = {"type": "object", "required": ["week", "held"], "properties": {
        "week": {"type": "string", "format": "date"}, "held": {"type": "integer", "minimum": 0}}}
    median = {"type": "number", "nullable": True, "minimum": 0}
    return {"Statistics": {"type": "object", "properties": {
        "first_day": {"type": "string", "format": "date"},
        "last_day": {"type": "string", "format": "date"},
        "division": {"type": "string", "nullable": True},
        "bookings_by_channel": _counts([*CHANNELS, "total"]),
        "visits": _counts(VISIT_STATES),
        "by_topic": {"type": "object", "additionalProperties": {"type": "integer"},
                     "properties": {t: {"type": "integer"} for t in tuple(Topic)}},
        "topic_by_division": {"type": "array", "items": {"type": "object"}},
        "visits_by_week": {"type": "array", "items": week},
        "outcomes": _counts(o.value for o in Outcome),
        "results": _counts([*(r.value for r in Result), "open"]),
        "written_answers": _counts(ANSWER_STATES),
        "median_days": {"type": "object", "properties": {"booking_to_visit": median, "visit_to_answer": median}},
        "places": _counts(["offered", "unused"]),
    }, "required": ["first_day", "last_day", "bookings_by_channel", "visits", "written_answers"]}}
