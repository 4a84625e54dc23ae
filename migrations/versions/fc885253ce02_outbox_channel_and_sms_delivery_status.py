"""The outbox carries SMS too: each row names its channel ("email" or "sms").

Existing rows are e-mail. ``delivery_status`` keeps what the SMS operator
reported (delivered or failed).

Revision ID: fc885253ce02
Revises: fd6af04acc47
Create Date: 2026-11-30 07:11:56.238883

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'fc885253ce02'
down_revision = 'fd6af04acc47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('delivery_status', sa.String(length=16), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('delivery_status')
        batch_op.drop_column('channel')

