"""Reception cards and written answers (what follows a visit), and the read-only director role.

A card per attended booking, with its outcome and due date; the written answer
that closes it. ``user.role`` may now be ``director``.

Revision ID: 88de92e4cca0
Revises: df34482146c7
Create Date: 2026-11-30 07:10:58.898131

"""
import sqlalchemy as sa
from alembic import op

ROLES_BEFORE = "role IN ('head', 'operator', 'admin')"
ROLES_AFTER = "role IN ('head', 'operator', 'admin', 'director')"


# revision identifiers, used by Alembic.
revision = '88de92e4cca0'
down_revision = 'df34482146c7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reception_card',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('division_id', sa.Integer(), nullable=False),
    sa.Column('visit_day', sa.Date(), nullable=False),
    sa.Column('raised', sa.Text(), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('referred_to', sa.String(length=300), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("outcome IN ('oral', 'written_due', 'referred', 'not_supported')", name='ck_card_outcome'),
    sa.CheckConstraint("result IS NULL OR result IN ('supported', 'not_supported', 'explained', 'measures_taken')", name='ck_card_result'),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['division_id'], ['division.id'], ),
    sa.ForeignKeyConstraint(['responsible_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('booking_id')
    )
    with op.batch_alter_table('reception_card', schema=None) as batch_op:
        batch_op.create_index('ix_card_division_visit', ['division_id', 'visit_day'], unique=False)
        batch_op.create_index('ix_card_open_due', ['closed_at', 'due_date'], unique=False)
        batch_op.create_index('ix_card_visit', ['visit_day'], unique=False)

    op.create_table('written_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('outgoing_number', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('by_post', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['reception_card.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('card_id')
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint("ck_user_role", type_="check")
        batch_op.create_check_constraint("ck_user_role", ROLES_AFTER)
    # For the statistics: bookings of a period by reception time and by the time they were made.
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index("ix_booking_start", ["start_utc", "division_id", "status", "topic", "created_at"], unique=False)
        batch_op.create_index("ix_booking_created", ["created_at", "division_id", "channel"], unique=False)


def downgrade():
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_created")
        batch_op.drop_index("ix_booking_start")
    op.execute(sa.text("DELETE FROM \"user\" WHERE role = 'director'"))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint("ck_user_role", type_="check")
        batch_op.create_check_constraint("ck_user_role", ROLES_BEFORE)
    op.drop_table('written_answer')
    with op.batch_alter_table('reception_card', schema=None) as batch_op:
        batch_op.drop_index('ix_card_visit')
        batch_op.drop_index('ix_card_open_due')
        batch_op.drop_index('ix_card_division_visit')

    op.drop_table('reception_card')
