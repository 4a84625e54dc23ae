"""API clients with hashed keys; a booking records the client that made it.

``api_client`` holds the named programs allowed to book through the API.
``booking.api_client_id`` names the client of an API booking, and
``booking.client_ref`` keeps a keyed hash of the client address of a web
booking (empty for older bookings), so staff can find a burst of bookings.

Revision ID: fd6af04acc47
Revises: f382a7592dbb
Create Date: 2026-11-30 07:10:54.293404

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'fd6af04acc47'
down_revision = 'f382a7592dbb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("permissions", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_client_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_ref", sa.String(length=32), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_booking_api_client_id"), ["api_client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_client_ref"), ["client_ref"], unique=False)
        batch_op.create_foreign_key("fk_booking_api_client", "api_client", ["api_client_id"], ["id"])


def downgrade():
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_constraint("fk_booking_api_client", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_booking_client_ref"))
        batch_op.drop_index(batch_op.f("ix_booking_api_client_id"))
        batch_op.drop_column("client_ref")
        batch_op.drop_column("api_client_id")

    op.drop_table("api_client")
