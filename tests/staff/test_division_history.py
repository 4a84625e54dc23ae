"""Changes of a division's schedule are operations with an audit trail, shown on its administration page."""
from datetime import date

import sqlalchemy as sa

from booking.bookings import Actor, ClosureSpec
from booking.bookings import divisions
from booking.core.timeutil import now_utc
from booking.models import AuditEntry, Closure


def test_adding_and_removing_days_without_reception_is_recorded_with_who_did_it(db, make_division, make_user):
    division = make_division()
    admin = make_user(role="admin", email="admin@example.ru")
    actor = Actor(kind="admin", user=admin)
    divisions.add_closure(division, ClosureSpec(date(2026, 12, 14), date(2026, 12, 15), "Отпуск"), now_utc(), actor)
    db.session.commit()
    closure = db.session.scalar(sa.select(Closure).where(Closure.division_id == division.id))
    divisions.remove_closure(closure, now_utc(), actor)
    db.session.commit()

    history = divisions.division_history(division)
    assert [entry.action for entry in history] == ["closure_removed", "closure_added"]
    assert all(entry.actor_id == admin.id and entry.booking_id is None for entry in history)
    assert "2026-12-14–2026-12-15 Отпуск" == history[0].detail
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0


def test_the_division_page_lists_its_changes(client, db, make_division, make_user, log_in_as):
    division = make_division()
    admin = make_user(role="admin", email="admin@example.ru")
    log_in_as(admin)
    divisions.add_closure(division, ClosureSpec(date(2026, 12, 14), date(2026, 12, 14), ""), now_utc(),
                          Actor(kind="admin", user=admin))
    db.session.commit()
    page = client.get(f"/admin/divisions/{division.slug}")
    assert page.status_code == 200
    assert "Days without reception added" in page.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.division_id == division.id)) == 1
