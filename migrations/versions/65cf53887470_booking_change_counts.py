"""Bookings are counted per division: every write to a booking adds one to its division's count.

Adds ``booking_change_count`` (division, changes) and the triggers that keep it,
in the same transaction as the write (on PostgreSQL a constraint trigger
deferred to the commit). The public pages and the slot listing read this one
row instead of counting the places held over the division's bookings, and keep
what they derived from the bookings under it (see ``booking/change_counts.py``; revision
3b7d2f1c9a40 renames the table and counts more).
Existing divisions start without a row, which reads as "no writes since".

Revision ID: 65cf53887470
Revises: 88de92e4cca0
Create Date: 2026-11-30 08:29:30.538073

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '65cf53887470'
down_revision = '88de92e4cca0'
branch_labels = None
depends_on = None

# The triggers as this revision made them (booking.change_counts has moved on since).
TABLE = "booking_change_count"
_SQLITE_BUMP = (f"INSERT INTO {TABLE} (division_id, changes) VALUES ({{row}}.division_id, 1) "
                f"ON CONFLICT (division_id) DO UPDATE SET changes = changes + 1;")

SQLITE_TRIGGERS = {
    "booking_counted_insert": f"CREATE TRIGGER booking_counted_insert AFTER INSERT ON booking BEGIN "
                              f"{_SQLITE_BUMP.format(row='NEW')} END",
    "booking_counted_delete": f"CREATE TRIGGER booking_counted_delete AFTER DELETE ON booking BEGIN "
                              f"{_SQLITE_BUMP.format(row='OLD')} END",
    # A booking moved to another division (never done, but possible in SQL) changes both.
    "booking_counted_update": f"CREATE TRIGGER booking_counted_update AFTER UPDATE ON booking BEGIN "
                              f"{_SQLITE_BUMP.format(row='NEW')} "
                              f"INSERT INTO {TABLE} (division_id, changes) SELECT OLD.division_id, 1 "
                              f"WHERE OLD.division_id IS NOT NEW.division_id "
                              f"ON CONFLICT (division_id) DO UPDATE SET changes = changes + 1; END",
}

POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION booking_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO {TABLE} (division_id, changes) VALUES (NEW.division_id, 1)
      ON CONFLICT (division_id) DO UPDATE SET changes = {TABLE}.changes + 1;
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.division_id IS DISTINCT FROM NEW.division_id) THEN
    INSERT INTO {TABLE} (division_id, changes) VALUES (OLD.division_id, 1)
      ON CONFLICT (division_id) DO UPDATE SET changes = {TABLE}.changes + 1;
  END IF;
  RETURN NULL;
END $$
"""
POSTGRESQL_TRIGGER = ("CREATE CONSTRAINT TRIGGER booking_counted AFTER INSERT OR UPDATE OR DELETE ON booking "
                      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION booking_counted()")


def upgrade():
    op.create_table('booking_change_count',
    sa.Column('division_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('changes', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('division_id')
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS booking_counted ON booking")
        op.execute("DROP FUNCTION IF EXISTS booking_counted()")
    op.drop_table('booking_change_count')
