"""Feed tokens keep the random nonce their URL token is derived from.

Links made before this revision get an empty nonce: they keep working, but
cannot be shown again until they are replaced (``feed-url --rotate``).

Revision ID: 340c3359387a
Revises: 47caad23754f
Create Date: 2026-11-27 05:58:55.546905

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '340c3359387a'
down_revision = '47caad23754f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nonce", sa.String(length=64), nullable=False, server_default=""))
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.alter_column("nonce", server_default=None)


def downgrade():
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.drop_column("nonce")
