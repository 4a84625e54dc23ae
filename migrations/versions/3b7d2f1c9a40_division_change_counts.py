"""A division's count also counts its reception rules, closures, feed token and its own row.

Renames ``booking_change_count`` to ``division_change_count`` and replaces the
booking triggers with those of :mod:`booking.change_counts`, on the bookings,
reception rules, closures and feed tokens of a division and on the division
itself. Equal counts then mean an unchanged agenda, which the staff pages keep
under the count instead of reading the schedule and the feed token again.

Revision ID: 3b7d2f1c9a40
Revises: 65cf53887470
Create Date: 2026-11-30 10:30:00.000000

"""
import importlib.util
from pathlib import Path

from alembic import op

from booking import change_counts


# revision identifiers, used by Alembic.
revision = '3b7d2f1c9a40'
down_revision = '65cf53887470'
branch_labels = None
depends_on = None


def _previous():
    """The revision before, whose booking triggers a downgrade puts back."""
    path = next(Path(__file__).parent.glob("65cf53887470_*.py"))
    spec = importlib.util.spec_from_file_location("revision_65cf53887470", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drop_booking_triggers(bind, previous):
    if bind.dialect.name == "sqlite":
        for name in previous.SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS booking_counted ON booking")
        op.execute("DROP FUNCTION IF EXISTS booking_counted()")


def upgrade():
    bind = op.get_bind()
    _drop_booking_triggers(bind, _previous())
    op.rename_table("booking_change_count", change_counts.TABLE)
    change_counts.create_triggers(bind)


def downgrade():
    bind = op.get_bind()
    previous = _previous()
    change_counts.drop_triggers(bind)
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS division_counted()")
    op.rename_table(change_counts.TABLE, "booking_change_count")
    if bind.dialect.name == "sqlite":
        for statement in previous.SQLITE_TRIGGERS.values():
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute(previous.POSTGRESQL_FUNCTION)
        op.execute(previous.POSTGRESQL_TRIGGER)
