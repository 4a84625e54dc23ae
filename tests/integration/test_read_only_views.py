"""Views marked reads_only: on PostgreSQL their statements run in autocommit, and no view so marked can write."""
import pytest

from booking.extensions import db
from booking.models import Division
from booking.web.read_only import WriteInReadOnlyView, reads_only


@pytest.fixture
def routes(app):
    def level():
        """Whether the driver's connection is in autocommit (PostgreSQL), as the server sees each statement."""
        driver = db.session.connection().connection.driver_connection
        return str(getattr(driver, "autocommit", "n/a")) if db.engine.dialect.name == "postgresql" else "n/a"

    def rename(slug):
        division = db.session.scalar(db.select(Division).where(Division.slug == slug))
        division.name = "Переименован"
        db.session.flush()
        return "renamed"

    def delete_all():
        db.session.execute(db.delete(Division))
        return "deleted"

    def level_writable():
        return level()

    app.add_url_rule("/_test/level", "test_level", reads_only(level))
    app.add_url_rule("/_test/level-writable", "test_level_writable", level_writable)
    app.add_url_rule("/_test/rename/<slug>", "test_rename", reads_only(rename))
    app.add_url_rule("/_test/delete", "test_delete", reads_only(delete_all))
    return app


def test_a_read_only_view_reads_without_a_transaction_on_a_server(routes, client, db):
    db.session.commit()  # the test's own session holds no transaction, as a request's never does
    marked = client.get("/_test/level").get_data(as_text=True)
    plain = client.get("/_test/level-writable").get_data(as_text=True)
    if db.engine.dialect.name == "postgresql":
        assert (marked, plain) == ("True", "False")
        db.session.commit()
        assert db.session.connection().connection.driver_connection.autocommit is False, "the next is a transaction"
    else:
        assert marked == plain == "n/a"  # SQLite's transactions cost no round trip: left alone


def test_a_view_marked_read_only_cannot_write(routes, client, db, make_division, caplog):
    make_division(slug="severny", name="Северный филиал")
    db.session.commit()
    for path in ("/_test/rename/severny", "/_test/delete"):
        caplog.clear()
        assert client.get(path).status_code == 500
        assert any(isinstance(r.exc_info and r.exc_info[1], WriteInReadOnlyView) for r in caplog.records), path
        db.session.rollback()
    assert db.session.scalar(db.select(Division.name).where(Division.slug == "severny")) == "Северный филиал"
    # Outside such a view the same session writes as always.
    division = db.session.scalar(db.select(Division).where(Division.slug == "severny"))
    division.name = "Северный филиал №1"
    db.session.commit()


def test_the_agenda_is_a_read_only_view(app):
    assert app.view_functions["staff.agenda"].reads_only
