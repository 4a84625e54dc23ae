"""Input no page is meant to receive, refused before any view runs: a 400, never a 500.

- A NUL character in the path, the query string or a form field: PostgreSQL
  cannot store or even compare it, and no person types it.
- A JSON body nested deeper than Python's parser goes: read as malformed JSON
  (400), like any other body that cannot be parsed.
"""
from flask import abort, request
from flask.json.provider import DefaultJSONProvider

NUL = "\x00"


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a body too deeply nested to parse is just invalid JSON."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def carries_nul():
    """Whether the request's path, query string or form holds a NUL character."""
    if NUL in request.path:
        return True
    is_form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    for multidict in (request.args, request.form) if is_form else (request.args,):
        for key, value in multidict.items(multi=True):
            if NUL in key or (isinstance(value, str) and NUL in value):
                return True
    return False


def _refuse_nul():
    if carries_nul():
        abort(400)


def init_app(app):
    """Install the JSON provider and the NUL check on ``app``."""
    provider = JSONProvider(app)
    for setting in ("ensure_ascii", "sort_keys", "compact", "mimetype"):
        setattr(provider, setting, getattr(app.json, setting))
    app.json = provider
    app.before_request(_refuse_nul)
