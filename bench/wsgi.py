"""The product under gunicorn, plus the baselines the benchmarks compare it with.

Bench-only: never imported by the product. ``/_bench/bare`` answers a
precomputed JSON body (the file named by ``BENCH_BARE_BODY``), so it costs what
Flask, gunicorn and the network cost and nothing else. ``/_bench/bare/<name>``
does the same for any number of bodies: the file ``<name>`` of the folder
``BENCH_BARE_DIR`` (``.html`` as HTML, anything else as JSON), read on its first
request and kept, so a benchmark can write a page's bytes after the server has
started. ``/_bench/write`` parses a JSON body, inserts one row and commits: the
cheapest write the same stack can do.
"""
import logging
import os

import sqlalchemy as sa
from flask import Response, abort, jsonify, request

from booking import create_app
from booking.extensions import csrf, db

from .harness import PUBLIC_BASE_URL, SECRET_KEY

bench_metadata = sa.MetaData()
bench_write = sa.Table(
    "bench_write", bench_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)


def _bare_body():
    path = os.environ.get("BENCH_BARE_BODY")
    if not path:
        return b"[]"
    with open(path, "rb") as body:
        return body.read()


def create_bench_app():
    """The product's app with the two baseline endpoints added."""
    os.environ.setdefault("SECRET_KEY", SECRET_KEY)  # imported in-process too, where no server sets it
    os.environ.setdefault("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
    application = create_app()
    # The servers run without a mail server, and the product says so for every message it queues:
    # thousands of lines over a booking burst.
    logging.getLogger("booking.notify").setLevel(logging.ERROR)
    body = _bare_body()

    @application.get("/_bench/bare")
    def bare():
        return Response(body, mimetype="application/json")

    bodies = {}

    @application.get("/_bench/bare/<name>")
    def bare_named(name):
        if name not in bodies:
            folder = os.environ.get("BENCH_BARE_DIR")
            path = os.path.join(folder, name) if folder and "/" not in name and not name.startswith(".") else None
            if path is None or not os.path.isfile(path):
                abort(404)
            with open(path, "rb") as body_file:
                bodies[name] = body_file.read()
        mimetype = "text/html" if name.endswith(".html") else "application/json"
        return Response(bodies[name], mimetype=mimetype)

    @application.post("/_bench/write")
    def write():
        data = request.get_json(silent=True) or {}
        row_id = db.session.execute(
            sa.insert(bench_write).values(body=str(data.get("name", ""))).returning(bench_write.c.id)).scalar_one()
        db.session.commit()
        response = jsonify({"id": row_id})
        response.status_code = 201
        return response

    csrf.exempt(write)
    return application


app = create_bench_app()
