"""The demonstration's mailbox (``DEMO_MODE`` only): what citizens would have received.

Outside demo mode every page here answers 404. A demonstration's data is made
up, but its mailbox shows private links as the recipient would get them, so
it is never served by a real installation.
"""
from flask import Blueprint, Response, abort, current_app, render_template

from ..notify import mailbox

bp = Blueprint("demo", __name__, url_prefix="/demo")

# The HTML of an e-mail keeps its inline styles (mail programs need them) and may run nothing.
LETTER_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; " \
             "form-action 'none'; frame-ancestors 'self'"


@bp.before_request
def _demonstration_only():
    if not current_app.config.get("DEMO_MODE"):
        abort(404)


def _letter_or_404(message_id):
    letter = mailbox.letter(message_id)
    if letter is None:
        abort(404)
    return letter


@bp.get("/mailbox")
def index():
    return render_template("demo/mailbox.html", letters=mailbox.letters())


@bp.get("/mailbox/<int:message_id>")
def letter(message_id):
    return render_template("demo/letter.html", letter=_letter_or_404(message_id))


@bp.get("/mailbox/<int:message_id>.html")
def letter_html(message_id):
    letter = _letter_or_404(message_id)
    if not letter.html:
        abort(404)
    response = Response(letter.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = LETTER_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/mailbox/<int:message_id>.ics")
def letter_ics(message_id):
    letter = _letter_or_404(message_id)
    if not letter.ics:
        abort(404)
    return Response(letter.ics, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{letter.ics_filename}"'})
