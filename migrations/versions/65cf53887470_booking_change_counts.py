"""Bookings are counted per division: every write to a booking adds one to its division's count.

Adds ``booking_change_count`` (division, changes) and the triggers that keep it,
in the same transaction as the write (on PostgreSQL a constraint trigger
deferred to the commit). The public pages and the slot listing read this one
row instead of counting the places held over the division's bookings, and keep
what they derived from the bookings under it (see ``booking/change_counts.py``).
Existing divisions start without a row, which reads as "no writes since".

Revision ID: 65cf53887470
Revises: 88de92e4cca0
Create Date: 2026-11-30 08:29:30.538073

"""
from alembic import op
import sqlalchemy as sa

from booking import change_counts


# revision identifiers, used by Alembic.
revision = '65cf53887470'
down_revision = '88de92e4cca0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_change_count',
    sa.Column('division_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('changes', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('division_id')
    )
    change_counts.create_triggers(op.get_bind())


def downgrade():
    bind = op.get_bind()
    change_counts.drop_triggers(bind)
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS booking_counted()")
    op.drop_table('booking_change_count')
