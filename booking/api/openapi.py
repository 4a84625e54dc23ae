"""The OpenAPI 3 description of ``/api/v1``, kept beside the code it describes."""
from ..models import BookingStatus, Topic


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _retry_later(description):
    response = _error(description)
    response["headers"] = {"Retry-After": {"description": "Seconds to wait before trying again",
                                           "schema": {"type": "integer"}}}
    return response


def _json(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_BEARER = [{"manageToken": []}]
# Either header carries a client's API key.
_API_KEY = [{"apiKey": []}, {"apiKeyBearer": []}]
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "The booking code, e.g. K7Q-4M2."}
_BOOKING = {"$ref": "#/components/schemas/Booking"}


def openapi_document():
    """The document served at ``/api/v1/openapi.json``."""
    document = _document()
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"]["503"] = _retry_later("The database is unavailable; try again later")
            # Refused before any operation runs (booking.web.guards), whatever the operation.
            operation["responses"].setdefault("400", _error("Malformed request, e.g. a NUL character in the "
                                                            "address or a body that is not JSON"))
    return document


def _document():
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Priyom API",
            "version": "1.0.0",
            "description": "Book, view, move and cancel receptions with the heads of the utility's divisions. "
                           "Times are ISO 8601 with an offset; local time is Europe/Moscow.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/divisions": {"get": {
                "summary": "Active divisions",
                "operationId": "listDivisions",
                "responses": {"200": _json("Divisions", {"type": "array",
                                                         "items": {"$ref": "#/components/schemas/Division"}})},
            }},
            "/divisions/{slug}/slots": {"get": {
                "summary": "Free slots of a division within the booking window",
                "operationId": "listSlots",
                "parameters": [
                    {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
                     "description": "First local date (default: start of the booking window)."},
                    {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
                     "description": "Last local date (default: end of the booking window)."},
                ],
                "responses": {
                    "200": _json("Free slots, earliest first",
                                 {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}}),
                    "404": _error("Unknown division"),
                    "422": _error("Invalid dates"),
                },
            }},
            "/bookings": {"post": {
                "summary": "Book a slot",
                "operationId": "createBooking",
                "description": "Only for known clients: send the API key that an administrator created for you "
                               "(X-API-Key, or Authorization: Bearer). The booking is recorded as made through "
                               "your client.",
                "security": _API_KEY,
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewBooking"}}}},
                "responses": {
                    "201": _json("Booked; keep manage_token to change the booking later",
                                 {"$ref": "#/components/schemas/CreatedBooking"}),
                    "400": _error("Body is not a JSON object"),
                    "401": _error("No valid API key (missing, unknown, revoked or without the bookings permission)"),
                    "404": _error("Unknown division"),
                    "409": _error("Slot full, not bookable, or the person's limit reached"),
                    "413": _error("Body too large"),
                    "415": _error("Body is not JSON"),
                    "422": _error("Invalid fields, listed in `fields`"),
                    "429": _retry_later("Too many bookings from this address; try again later"),
                },
            }},
            "/bookings/{code}": {"get": {
                "summary": "A booking",
                "operationId": "getBooking",
                "security": _BEARER,
                "parameters": [_CODE],
                "responses": {"200": _json("The booking", _BOOKING),
                              "404": _error("No booking with this code and token")},
            }},
            "/bookings/{code}/cancel": {"post": {
                "summary": "Cancel a booking",
                "operationId": "cancelBooking",
                "security": _BEARER,
                "parameters": [_CODE],
                "responses": {"200": _json("The cancelled booking", _BOOKING),
                              "404": _error("No booking with this code and token"),
                              "409": _error("Already cancelled or past")},
            }},
            "/bookings/{code}/reschedule": {"post": {
                "summary": "Move a booking to another free slot of the same division",
                "operationId": "rescheduleBooking",
                "security": _BEARER,
                "parameters": [_CODE],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["start"], "additionalProperties": False,
                    "properties": {"start": {"type": "string", "format": "date-time"}}}}}},
                "responses": {"200": _json("The moved booking", _BOOKING),
                              "400": _error("Body is not a JSON object"),
                              "404": _error("No booking with this code and token"),
                              "409": _error("Slot full or not bookable, or the booking can no longer change"),
                              "413": _error("Body too large"),
                              "415": _error("Body is not JSON"),
                              "422": _error("Invalid fields")},
            }},
        },
        "components": {
            "securitySchemes": {
                "manageToken": {
                    "type": "http", "scheme": "bearer",
                    "description": "The manage_token returned when the booking was created (routes of one "
                                   "booking)."},
                "apiKey": {
                    "type": "apiKey", "in": "header", "name": "X-API-Key",
                    "description": "A client's API key (pk_…), created by an administrator and shown once."},
                "apiKeyBearer": {
                    "type": "http", "scheme": "bearer",
                    "description": "The same API key as Authorization: Bearer pk_… (creating a booking)."},
            },
            "schemas": {
                "Division": {"type": "object", "required": ["slug", "name", "head", "address"], "properties": {
                    "slug": {"type": "string"}, "name": {"type": "string"}, "head": {"type": "string"},
                    "head_title": {"type": "string"}, "address": {"type": "string"}, "room": {"type": "string"},
                    "description": {"type": "string"}, "slots_url": {"type": "string"}}},
                "Slot": {"type": "object", "required": ["start", "end", "capacity", "available"], "properties": {
                    "start": {"type": "string", "format": "date-time"},
                    "end": {"type": "string", "format": "date-time"},
                    "capacity": {"type": "integer", "minimum": 1},
                    "available": {"type": "integer", "minimum": 0}}},
                "NewBooking": {
                    "type": "object", "additionalProperties": False,
                    "required": ["division", "start", "name", "email", "phone", "topic", "consent"],
                    "properties": {
                        "division": {"type": "string", "description": "Division slug"},
                        "start": {"type": "string", "format": "date-time"},
                        "name": {"type": "string", "maxLength": 200},
                        "email": {"type": "string", "format": "email"},
                        "phone": {"type": "string", "description": "Any common format; stored as E.164"},
                        "topic": {"type": "string", "enum": [t.value for t in Topic]},
                        "message": {"type": "string", "maxLength": 2000},
                        "account": {"type": "string", "maxLength": 64},
                        "address": {"type": "string", "maxLength": 300},
                        "locale": {"type": "string", "enum": ["ru", "en"]},
                        "consent": {"type": "boolean", "enum": [True]},
                    }},
                "Booking": {"type": "object",
                            "required": ["code", "division", "start", "end", "status"],
                            "properties": {
                                "code": {"type": "string"}, "division": {"type": "string"},
                                "start": {"type": "string", "format": "date-time"},
                                "end": {"type": "string", "format": "date-time"},
                                "status": {"type": "string", "enum": [s.value for s in BookingStatus]},
                                "topic": {"type": "string", "enum": [t.value for t in Topic]},
                                "name": {"type": "string"}, "email": {"type": "string"},
                                "phone": {"type": "string"}}},
                "CreatedBooking": {"allOf": [{"$ref": "#/components/schemas/Booking"}, {
                    "type": "object", "required": ["manage_token"],
                    "properties": {"manage_token": {"type": "string"}}}]},
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string"}, "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "alternatives": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}}}},
            },
        },
    }
