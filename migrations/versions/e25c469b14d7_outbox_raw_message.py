"""The outbox keeps each message as finished bytes, written when it is queued.

Messages queued before this revision have none and are built when sent, as
before.

Revision ID: e25c469b14d7
Revises: 340c3359387a
Create Date: 2026-11-27 07:50:32.579283

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e25c469b14d7'
down_revision = '340c3359387a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_message", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("raw_message")
