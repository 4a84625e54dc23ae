"""The audit trail also records changes of a division itself: entries with a division and no booking.

Revision ID: 49673f4682ce
Revises: beb97de664ba
Create Date: 2026-11-30 08:39:29.889271

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '49673f4682ce'
down_revision = 'beb97de664ba'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('division_id', sa.Integer(), nullable=True))
        batch_op.alter_column('booking_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_audit_entry_division_id'), ['division_id'], unique=False)
        batch_op.create_foreign_key('fk_audit_entry_division', 'division', ['division_id'], ['id'], ondelete='CASCADE')



def downgrade():
    op.execute("DELETE FROM audit_entry WHERE booking_id IS NULL")
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint('fk_audit_entry_division', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_entry_division_id'))
        batch_op.alter_column('booking_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('division_id')

