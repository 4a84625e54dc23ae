"""Views that only read: on a database server their statements run without a transaction around them.

A request's ORM session wraps its statements in ``BEGIN`` … ``ROLLBACK``: two
round trips to PostgreSQL besides the statements themselves, which is most of
what a kept page (a head's agenda: one statement) costs. A view marked
:func:`reads_only` gets, for GET and HEAD, a session whose connection is in
autocommit: each statement is its own transaction, and sees what is committed
when it starts — what PostgreSQL's READ COMMITTED gives each statement of a
transaction anyway, so a page reads the same data either way.

Such a session refuses to write: a flush or an INSERT, UPDATE or DELETE raises
:class:`WriteInReadOnlyView`, on SQLite as well (where nothing else changes:
its transactions cost no round trip), so a view marked by mistake fails in the
tests instead of writing statement by statement.
"""
from flask import current_app, request
from sqlalchemy import event

from ..extensions import db

_FLAG = "priyom.reads_only"


class WriteInReadOnlyView(RuntimeError):
    """A view marked :func:`reads_only` tried to write."""


def reads_only(view):
    """Mark ``view`` as one that never writes (see the module's description)."""
    view.reads_only = True
    return view


def _begin_reading():
    if request.method not in ("GET", "HEAD"):
        return
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "reads_only", False):
        return
    session = db.session()
    # A session already in a transaction (only where one outlives a request: the tests) is left as it is.
    if db.engine.dialect.name != "sqlite" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        session.info[_FLAG] = "autocommit"
    else:
        session.info[_FLAG] = "checked"


def _end_reading(_error=None):
    if not db.session.registry.has():  # the request used no session: nothing to do, none to make
        return
    session = db.session()
    if session.info.pop(_FLAG, None) == "autocommit":
        session.rollback()  # nothing was written: hands the autocommit connection back (no round trip)


def _refuse(session, what):
    if session.info.get(_FLAG):
        raise WriteInReadOnlyView(f"{what} in a view marked reads_only ({request.endpoint})")


def init_app(app):
    """Install the hooks; register them before any other that could use the session."""
    app.before_request(_begin_reading)
    app.teardown_request(_end_reading)


@event.listens_for(db.session, "before_flush")
def _no_flush(session, _context, _instances):
    if session.new or session.dirty or session.deleted:
        _refuse(session, "a change to " + ", ".join(sorted({type(o).__name__ for o in
                                                              (*session.new, *session.dirty, *session.deleted)})))


@event.listens_for(db.session, "do_orm_execute")
def _no_write_statement(state):
    if state.is_insert or state.is_update or state.is_delete:
        _refuse(state.session, "a statement that writes")
