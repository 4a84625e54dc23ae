"""Migrations: they build exactly the models' schema on the database of the run, and keep data.

If ``test_migrations_build_exactly_the_models_schema`` fails after a change to
``booking/models.py``, the change needs a migration: ``flask --app app db migrate``.
"""
import shutil
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email import policy as email_policy

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError

from booking import MIGRATIONS, change_counts
from booking.database import BASELINE_REVISION, schema_differences
from booking.extensions import db
from prod.kit import build_app, create_schema

T0 = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def migrated(scratch_url):
    app = build_app(scratch_url)
    create_schema(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def revision(app):
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def check_constraints(table):
    return {c["name"] for c in sa.inspect(db.engine).get_check_constraints(table)}


def test_migrations_build_exactly_the_models_schema(migrated):
    differences = schema_differences(db)
    assert differences == [], ("booking/models.py and migrations/ disagree; write a migration with "
                               f"`flask --app app db migrate`: {differences}")
    # Autogenerate does not compare check constraints: do it here.
    for table in db.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        assert check_constraints(table.name) == expected, table.name


def test_the_migrated_place_index_is_partial_and_guards_capacity(migrated):
    if db.engine.dialect.name == "sqlite":
        definition = db.session.execute(sa.text(
            "SELECT sql FROM sqlite_master WHERE name = 'uq_booking_place'")).scalar()
    else:
        definition = db.session.execute(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_booking_place'")).scalar()
    assert "UNIQUE" in definition.upper() and "WHERE" in definition.upper()

    with db.engine.begin() as conn:
        division_id = insert_division(conn)
        insert_booking(conn, division_id, "AAA-AAA", status="cancelled")
        insert_booking(conn, division_id, "AAA-AAC", status="booked")  # a cancelled booking frees its place
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        insert_booking(conn, division_id, "AAA-AAD", status="attended")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        insert_booking(conn, division_id, "AAA-AAE", status="booked", place_no=0)  # ck_booking_place_no


def triggers():
    """The names of the database's triggers that keep the division change counts."""
    if db.engine.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    return set(db.session.execute(sa.text(sql)).scalars())


def expected_triggers():
    if db.engine.dialect.name == "sqlite":
        return {name for table, column in change_counts.SOURCES.items()
                for name in change_counts.sqlite_triggers(table, column)}
    return {f"{table}_counted" for table in change_counts.SOURCES}


def test_the_migrated_database_counts_what_the_models_count(migrated):
    assert triggers() == expected_triggers()
    with db.engine.begin() as conn:
        division_id = insert_division(conn)
        conn.execute(sa.text("UPDATE division SET room = '12' WHERE id = :id"), {"id": division_id})
    with db.engine.connect() as conn:
        count = conn.execute(sa.text(f"SELECT changes FROM {change_counts.TABLE} WHERE division_id = :id"),
                             {"id": division_id}).scalar()
    assert count == 2  # made, then changed


def test_e_mails_queued_before_they_were_kept_finished_are_finished_by_their_migration(scratch_url):
    app = build_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade(revision="3b7d2f1c9a40")
        with db.engine.begin() as conn:
            booking_id = insert_booking(conn, insert_division(conn), "AAA-AAA")
            for status in ("pending", "failed", "sent"):
                conn.execute(sa.text(
                    "INSERT INTO outbox_message (booking_id, kind, recipient, subject, body_text, body_html, ics, "
                    "ics_method, status, attempts, next_attempt_at, claimed_by, last_error, created_at, channel, "
                    "delivery_status) VALUES (:booking, 'confirmation', 'p@example.ru', :subject, :text, '', '', '', "
                    ":status, 0, :at, '', '', :at, 'email', '')"),
                    {"booking": booking_id, "subject": f"Запись AAA-AAA ({status})", "status": status, "at": T0,
                     "text": "Изменить запись: https://priyom.example/bookings/AAA-AAA?token=секрет"})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT status, raw_message FROM outbox_message")).all())
        db.session.remove()
        db.engine.dispose()
    assert rows["sent"] is None, "a sent message is not built again"
    for status in ("pending", "failed"):
        message = message_from_bytes(bytes(rows[status]), policy=email_policy.default)
        assert message["To"].addresses[0].addr_spec == "p@example.ru"
        assert message["To"].addresses[0].display_name == "Петров Пётр"
        assert message["Subject"] == f"Запись AAA-AAA ({status})"
        assert message["Message-ID"].startswith("<priyom.")
        assert "token=секрет" in message.get_body(("plain",)).get_content()


def test_downgrade_to_nothing_and_upgrade_again(migrated):
    flask_migrate.downgrade(revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    flask_migrate.upgrade()
    assert schema_differences(db) == []
    assert triggers() == expected_triggers()


def test_a_database_made_before_migrations_is_stamped_and_keeps_its_data(scratch_url):
    app = build_app(scratch_url)
    with app.app_context():
        # The tables as the first release made them, with no migration history.
        flask_migrate.upgrade(revision=BASELINE_REVISION)
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE alembic_version"))
            division_id = insert_division(conn)
            insert_booking(conn, division_id, "KEP-T01")
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "marked as the initial schema" in result.output
        assert "differs" not in result.output
        assert revision(app) == head()
        assert db.session.execute(sa.text("SELECT code FROM booking")).scalars().all() == ["KEP-T01"]
        # Upgrading again is harmless.
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        assert db.session.execute(sa.text("SELECT count(*) FROM division")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def test_seed_demo_on_an_empty_database_migrates_it_first(scratch_url):
    app = build_app(scratch_url)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        assert revision(app) == head()
        assert db.session.execute(sa.text("SELECT count(*) FROM division")).scalar() == 4
        db.session.remove()
        db.engine.dispose()


LATER_MIGRATION = '''"""A later change that rebuilds the booking table (test only)."""
import sqlalchemy as sa
from alembic import op

revision = "f00dfeed0001"
down_revision = {head!r}
branch_labels = None
depends_on = None


def _recreate():
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade():
    with op.batch_alter_table("booking", recreate=_recreate()) as batch_op:
        batch_op.add_column(sa.Column("visit_note", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("booking", recreate=_recreate()) as batch_op:
        batch_op.drop_column("visit_note")
'''


def test_a_migration_that_rebuilds_a_table_keeps_every_row(scratch_url, tmp_path):
    """On SQLite, batch mode copies and drops the table: rows that point at it must survive."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / "f00dfeed0001_rebuild_booking.py").write_text(LATER_MIGRATION.format(head=head()))
    app = build_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade(str(directory), revision=head())
        with db.engine.begin() as conn:
            division_id = insert_division(conn)
            booking_id = insert_booking(conn, division_id, "REB-UIL")
            conn.execute(sa.text("INSERT INTO audit_entry (booking_id, at, actor_kind, action, detail) "
                                 "VALUES (:b, :at, 'citizen', 'created', 'web')"), {"b": booking_id, "at": T0})
            conn.execute(sa.text(
                "INSERT INTO outbox_message (booking_id, kind, recipient, subject, body_text, body_html, ics, "
                "ics_method, status, attempts, next_attempt_at, claimed_by, last_error, created_at) VALUES "
                "(:b, 'confirmation', 'a@example.ru', 's', 't', '', '', '', 'sent', 1, :at, '', '', :at)"),
                {"b": booking_id, "at": T0})

        flask_migrate.upgrade(str(directory))
        assert revision(app) == "f00dfeed0001"
        counts = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("division", "booking", "audit_entry", "outbox_message")}
        assert counts == {"division": 1, "booking": 1, "audit_entry": 1, "outbox_message": 1}
        assert db.session.execute(sa.text("SELECT booking_id FROM outbox_message")).scalar() == booking_id
        assert "visit_note" in {c["name"] for c in sa.inspect(db.engine).get_columns("booking")}
        # The rebuilt table still has its partial unique index.
        assert "uq_booking_place" in {i["name"] for i in sa.inspect(db.engine).get_indexes("booking")}
        db.session.rollback()

        flask_migrate.downgrade(str(directory), revision=head())
        assert db.session.execute(sa.text("SELECT count(*) FROM audit_entry")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def scripts():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head():
    return scripts().get_current_head()


def insert_division(conn):
    conn.execute(sa.text(
        "INSERT INTO division (slug, name, name_en, head_name, head_title, address, room, directions, description, "
        "email, active, created_at) VALUES ('d1', 'Филиал', '', 'Иванов И. И.', '', 'Москва', '', '', '', '', "
        ":active, :at)"), {"active": True, "at": T0})
    return conn.execute(sa.text("SELECT id FROM division WHERE slug = 'd1'")).scalar()


def insert_booking(conn, division_id, code, status="booked", place_no=1):
    conn.execute(sa.text(
        "INSERT INTO booking (code, division_id, start_utc, end_utc, place_no, status, full_name, phone, email, "
        "account, address, topic, message, consent_at, locale, manage_token_hash, sequence, channel, staff_note, "
        "created_at, updated_at, cancelled_by) VALUES (:code, :division, :start, :end, :place, :status, "
        "'Петров Пётр', '+79161234567', 'p@example.ru', '', '', 'heating', '', :at, 'ru', 'x', 0, 'web', '', "
        ":at, :at, '')"),
        {"code": code, "division": division_id, "start": T0, "end": T0 + timedelta(minutes=20), "place": place_no,
         "status": status, "at": T0})
    return conn.execute(sa.text("SELECT id FROM booking WHERE code = :code"), {"code": code}).scalar()


def test_the_baseline_is_the_first_migration():
    assert [r.revision for r in scripts().walk_revisions()][-1] == BASELINE_REVISION
