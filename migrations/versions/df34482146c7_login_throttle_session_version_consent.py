"""Wrong passwords are counted per (account, client address) in their own table; staff
sessions carry a version that ends them all when raised; bookings record the consent text version.

Bookings made before this revision keep an empty consent version (the text was not versioned then).

Revision ID: df34482146c7
Revises: 49673f4682ce
Create Date: 2026-11-30 07:11:19.184455

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'df34482146c7'
down_revision = '49673f4682ce'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sa.String(length=64), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_at'), ['at'], unique=False)
        batch_op.create_index('ix_login_failure_pair', ['account_key', 'client_key'], unique=False)

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_version', sa.String(length=32), server_default='', nullable=False))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_column('consent_version')

    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_pair')
        batch_op.drop_index(batch_op.f('ix_login_failure_at'))

    op.drop_table('login_failure')
