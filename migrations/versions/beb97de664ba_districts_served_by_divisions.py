"""Districts: each Moscow district names the division that serves it.

The home page lets a citizen find the division by district.

Revision ID: beb97de664ba
Revises: fc885253ce02
Create Date: 2026-11-30 07:38:17.758668

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'beb97de664ba'
down_revision = 'fc885253ce02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('district',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('division_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['division_id'], ['division.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('district', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_district_division_id'), ['division_id'], unique=False)


def downgrade():
    with op.batch_alter_table('district', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_district_division_id'))

    op.drop_table('district')
