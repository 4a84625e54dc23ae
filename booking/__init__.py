"""Priyom: reception booking for the heads of a utility's divisions.

``create_app`` wires configuration, extensions, blueprints, commands and
template helpers, in that order; with the template helpers it builds the
application's mailroom (``notify.settings``: what sending needs of the
application), which views and commands hand to the operations. It refuses to build a production
application without a real ``SECRET_KEY`` or a ``PUBLIC_BASE_URL`` (see
``config.settle_secret_key`` and ``config.settle_public_base_url``).
"""
import os

from flask import Flask, request, session
from flask_babel import lazy_gettext as _l

from .config import Config, settle_demo_mode, settle_public_base_url, settle_secret_key
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .operator import settle_operator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIGRATIONS = os.path.join(ROOT, "migrations")

LANGUAGES = ("ru", "en")


def create_app(test_config=None):
    """Build the application: defaults, instance/config.py, FLASK_* env, then ``test_config``."""
    app = Flask(
        __name__,
        instance_path=os.path.join(ROOT, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(Config(app.instance_path).as_dict())
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    settle_demo_mode(app.config, app.instance_path)
    settle_secret_key(app.config, app.instance_path, app.debug)
    settle_public_base_url(app.config, app.debug)
    settle_operator(app.config, app.logger)

    app.json.ensure_ascii = False
    register_extensions(app)
    from .web.converters import register_converters
    register_converters(app)
    register_blueprints(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def select_locale():
    """The language chosen with the switch, else the browser's, else Russian."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="ru")


def register_extensions(app):
    from . import security
    from .database import configure_engine, engine_options, set_write_intent
    from .web import guards, read_only

    security.init_app(app)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    read_only.init_app(app)  # first: it decides how the request's session reads
    with app.app_context():
        configure_engine(db.engine, app.config["DATABASE_LOCK_TIMEOUT_MS"],
                         app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    csrf.init_app(app)
    # Batch mode lets the same migrations alter tables on SQLite, which has little ALTER TABLE.
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, compare_type=True)
    limiter.init_app(app)
    guards.init_app(app)  # after the limiter: refused requests still count against the limits
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.session_protection = "strong"
    from .web.sessions import session_identifier
    # Flask-Login's own identifier trusts a raw X-Forwarded-For; this one the address ProxyFix set.
    login_manager._session_identifier_generator = session_identifier
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.localize_callback = str
    from .web import sessions  # noqa: F401  (registers the user loader)
    from .appeals import models as _appeal_tables  # noqa: F401  (reception cards and answers)
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: app.config["BOOKING_TIMEZONE"])

    @app.before_request
    def _declare_write_intent():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            set_write_intent(True)

    @app.teardown_request
    def _clear_write_intent(_exc):
        set_write_intent(False)


def register_blueprints(app):
    from . import errors, health
    from .api import statistics as api_statistics  # noqa: F401  (adds GET /statistics to the API)
    from .api import views as api
    from .web import account, admin, bursts, demo, feeds, legal, outbox, public, staff, withdrawal
    from .web import api_keys as api_key_pages

    app.register_blueprint(public.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(demo.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(legal.bp)
    app.register_blueprint(withdrawal.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(api_key_pages.bp, url_prefix="/admin/api-keys")
    app.register_blueprint(bursts.bp, url_prefix="/admin/bursts")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    from .web import sms as sms_views
    sms_views.init_app(app)
    from .web import my_booking
    app.register_blueprint(my_booking.bp)
    from .web import districts
    app.register_blueprint(districts.bp)
    register_appeal_blueprints(app)
    csrf.exempt(api.bp)
    errors.init_app(app)


def register_appeal_blueprints(app):
    from .web import answers, statistics

    app.register_blueprint(answers.bp)
    app.register_blueprint(statistics.bp)


def register_commands(app):
    from . import cli

    cli.init_app(app)


def register_template_helpers(app):
    from .notify import settings as notify_settings
    from .web import formatting, page_cache

    formatting.init_app(app)
    mailroom = notify_settings.install(app)
    # Pages show the links that messages carry, built the same way: on PUBLIC_BASE_URL, never the Host header.
    app.add_template_global(mailroom.url, "absolute_url")
    page_cache.init_app(app)
