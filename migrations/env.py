"""Alembic environment for Flask-Migrate: the application's engine and metadata.

Migrations are written once and run on SQLite and PostgreSQL: batch mode
(``render_as_batch``, set in ``booking/__init__.py``) rebuilds SQLite tables
where PostgreSQL alters them. Column types of the application (``UTCDateTime``)
are written into migrations as the plain SQLAlchemy type they store, so a
migration never imports application code that may change later.

A database made by ``db.create_all()`` before there were migrations is
stamped with the initial revision first, so ``flask db upgrade`` keeps its
data and applies only what came later.
"""
import contextlib
import logging
from logging.config import fileConfig

from alembic import context
from alembic.migration import MigrationContext
from flask import current_app

from booking.database import BASELINE_REVISION, made_before_migrations

config = context.config

# Only when nothing set logging up yet (the CLI), and never silencing the application's loggers.
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Render application column types as the SQLAlchemy type underneath."""
    if type_ == "type" and hasattr(obj, "impl") and obj.__class__.__module__.startswith("booking"):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_offline():
    """Emit SQL for the configured URL instead of running it (``flask db upgrade --sql``)."""
    url = target_db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=target_db.metadata, literal_binds=True,
                      render_item=render_item, **current_app.extensions["migrate"].configure_args)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on the application's engine."""

    def process_revision_directives(context, revision, directives):
        # ``flask db migrate`` with no model change writes no empty migration.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)

    with target_db.engine.connect() as connection:
        unversioned = made_before_migrations(connection)
        connection.rollback()
        if unversioned and not getattr(config.cmd_opts, "autogenerate", False):
            logger.info("Tables without migration history: stamping %s first.", BASELINE_REVISION)
            with connection.begin():
                MigrationContext.configure(connection).stamp(context.script, BASELINE_REVISION)
        with _sqlite_foreign_keys_off(connection):
            if connection.dialect.name == "sqlite":
                # SQLite can roll back DDL too: a failed upgrade leaves the schema as it was.
                conf_args.setdefault("transactional_ddl", True)
            context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if connection.dialect.name == "sqlite":
                    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(f"the migration would break foreign keys: {problems[:5]}")


@contextlib.contextmanager
def _sqlite_foreign_keys_off(connection):
    """On SQLite, run the migrations with foreign keys off (they are checked before the commit).

    Batch mode rebuilds a table by copying it and dropping the old one; with
    foreign keys on, that DROP would delete (ON DELETE CASCADE) or orphan the
    rows of other tables that point at it.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    # The pragma works only outside a transaction, so it goes to the driver directly.
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
