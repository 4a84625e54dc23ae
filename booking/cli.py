"""``flask`` commands: database set-up, demo data, staff accounts, private feed links, retention and mail."""
import logging
import signal
import threading
from datetime import time, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from . import accounts, bookings
from .accounts import throttle as login_throttle
from .appeals import reminders as answer_reminders
from .appeals.cards import AppealSettings
from .bookings import districts, retention
from .core.timeutil import get_tz, now_utc, parse_iso_datetime
from .database import schema_differences, upgrade_database, write_intent
from .extensions import db
from .feeds import service as feed_service
from .models import Division, ReceptionRule, Role
from .notify import delivery, outbox
from .web import feeds
from .web.helpers import mailroom

log = logging.getLogger(__name__)

DEMO_DIVISIONS = [
    {
        "slug": "severny-filial",
        "name": "Северный филиал",
        "name_en": "Northern branch",
        "head_name": "Карпов Андрей Викторович",
        "head_title": "директор филиала",
        "address": "Москва, Дмитровское шоссе, д. 71, стр. 2",
        "room": "каб. 105",
        "directions": "От метро «Петровско-Разумовская» 10 минут пешком; вход со двора, 1-й этаж.",
        "description": "Отопление и горячее водоснабжение в районах Северного округа: "
                       "отключения, температура, аварии на магистральных и квартальных сетях.",
        "rules": [(0, "10:00", "13:00"), (2, "10:00", "13:00"), (4, "10:00", "13:00")],
    },
    {
        "slug": "yuzhny-filial",
        "name": "Южный филиал",
        "name_en": "Southern branch",
        "head_name": "Соловьёва Ирина Павловна",
        "head_title": "директор филиала",
        "address": "Москва, Каширское шоссе, д. 26",
        "room": "каб. 212",
        "directions": "От метро «Каширская» 5 минут пешком; 2-й этаж, приёмная.",
        "description": "Отопление и горячая вода в Южном округе, плановые отключения "
                       "и гидравлические испытания.",
        "rules": [(1, "14:00", "17:00"), (2, "14:00", "17:00"), (3, "14:00", "17:00")],
    },
    {
        "slug": "abonentsky-otdel",
        "name": "Абонентский отдел",
        "name_en": "Customer service",
        "head_name": "Лебедев Сергей Николаевич",
        "head_title": "начальник абонентского отдела",
        "address": "Москва, ул. Ленинская Слобода, д. 23",
        "room": "окно 3",
        "directions": "От метро «Автозаводская» 7 минут пешком; центр обслуживания, 1-й этаж.",
        "description": "Договоры, лицевые счета, переоформление, вопросы управляющих компаний и ТСЖ.",
        "rules": [(0, "09:00", "12:00"), (1, "09:00", "12:00"), (3, "09:00", "12:00")],
        "places": 2,
    },
    {
        "slug": "raschetny-otdel",
        "name": "Отдел расчётов",
        "name_en": "Billing department",
        "head_name": "Морозова Елена Александровна",
        "head_title": "начальник отдела расчётов",
        "address": "Москва, ул. Ленинская Слобода, д. 23",
        "room": "каб. 318",
        "directions": "От метро «Автозаводская» 7 минут пешком; 3-й этаж, лифт справа от входа.",
        "description": "Начисления за отопление и горячую воду, перерасчёты, задолженность и оплата.",
        "rules": [(1, "15:00", "18:00"), (3, "15:00", "18:00"), (4, "10:00", "13:00")],
    },
]


# Districts of Moscow served by the territorial demo divisions (the others are found by topic).
DEMO_DISTRICTS = {
    "severny-filial": ["Аэропорт", "Бескудниковский", "Войковский", "Восточное Дегунино", "Головинский",
                       "Дмитровский", "Западное Дегунино", "Коптево", "Тимирязевский", "Ховрино"],
    "yuzhny-filial": ["Бирюлёво Восточное", "Бирюлёво Западное", "Братеево", "Даниловский", "Донской",
                      "Зябликово", "Нагорный", "Царицыно", "Чертаново Северное", "Чертаново Южное"],
}


def _clock(value):
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def seed_demo_divisions():
    """Create the demo divisions that do not exist yet; returns how many were added."""
    added = 0
    for spec in DEMO_DIVISIONS:
        if db.session.scalar(sa.select(Division.id).where(Division.slug == spec["slug"])):
            continue
        division = Division(**{k: v for k, v in spec.items() if k not in ("rules", "places")})
        for weekday, start, end in spec["rules"]:
            division.rules.append(ReceptionRule(weekday=weekday, start_time=_clock(start), end_time=_clock(end),
                                                slot_minutes=20, places=spec.get("places", 1)))
        db.session.add(division)
        db.session.flush()
        districts.set_districts(division, DEMO_DISTRICTS.get(spec["slug"], []))
        added += 1
    return added


def _ask_password():
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _or_click_error(func, *args, **kwargs):
    """Run an account operation; its refusal becomes the command's error message."""
    try:
        return func(*args, **kwargs)
    except accounts.AccountError as exc:
        with force_locale("en"):  # commands speak English; there is no request to choose a language from
            message = str(exc)
        raise click.ClickException(message) from None


def init_app(app):
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the schema with the migrations (same as `db upgrade`; keeps data)."""
        if upgrade_database(db):
            click.echo("The database had tables but no migration history: marked as the initial schema.")
            differences = schema_differences(db)
            if differences:
                click.echo("Warning: it still differs from the models: "
                           + "; ".join(str(d) for d in differences[:5]), err=True)
        click.echo("Database ready.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no division at all.")
    def seed_demo(if_empty):
        """Add four demo divisions with three reception days each (idempotent)."""
        if not sa.inspect(db.engine).has_table("division"):
            upgrade_database(db)
        if if_empty and db.session.scalar(sa.select(Division.id).limit(1)) is not None:
            click.echo("Demo data: the database already has divisions.")
            return
        added = seed_demo_divisions()
        db.session.commit()
        click.echo(f"Demo data: {added} division(s) added.")

    @app.cli.command("feed-url")
    @click.argument("slug")
    @click.option("--rotate", is_flag=True, help="Replace the link; the previous one stops working at once.")
    def feed_url(slug, rotate):
        """Print the private agenda feed URL of division SLUG, creating it when there is none."""
        settings = feed_service.FeedSettings.from_config(current_app.config)
        with write_intent():
            division = bookings.get_division(slug, include_inactive=True)
            if division is None:
                raise click.ClickException(f"No division with the slug {slug!r}.")
            if rotate:
                token, created = feed_service.rotate_feed_token(division, now_utc(), settings), True
            else:
                token, created = feed_service.ensure_feed_token(division, now_utc(), settings)
            if token is None:
                raise click.ClickException("The current link cannot be shown: SECRET_KEY changed since it was "
                                           "made. Run again with --rotate to replace it.")
            db.session.commit()
        if rotate:
            click.echo("A new link was made; the previous one no longer works.", err=True)
        elif created:
            click.echo("A link was made.", err=True)
        url = feeds.agenda_feed_url(token)
        click.echo(url)
        click.echo(feeds.webcal(url))

    @app.cli.command("purge-personal-data")
    @click.option("--older-than", "days", type=click.IntRange(min=0), default=None, metavar="DAYS",
                  help="Bookings whose visit ended more than DAYS ago (default: RETENTION_DAYS).")
    def purge_personal_data(days):
        """Blank the personal data of old bookings, keeping division, day, topic and status."""
        if days is None:
            days = current_app.config["RETENTION_DAYS"]
        now = now_utc()
        with write_intent():
            count = retention.purge_personal_data(now - timedelta(days=days), now)
            db.session.commit()
        click.echo(f"Personal data removed from {count} booking(s) whose visit ended more than {days} days ago.")

    @app.cli.command("create-user")
    @click.option("--email", required=True, help="Used to log in.")
    @click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
    @click.option("--division", "divisions", multiple=True, metavar="SLUG",
                  help="A division the head receives for (repeat for several); heads only.")
    @click.option("--name", default="", help="Shown to colleagues and in the history of bookings.")
    @click.option("--password", help="Asked for, hidden and twice, when not given.")
    def create_user(email, role, divisions, name, password):
        """Create a staff account: a head of division, a hotline operator or an administrator."""
        if role == Role.HEAD and not divisions:
            raise click.UsageError("A head needs at least one --division.")
        if role != Role.HEAD and divisions:
            raise click.UsageError("Only heads belong to divisions; operators and administrators see all.")
        chosen = _or_click_error(accounts.divisions_by_slug, divisions)
        if accounts.find_user(email) is not None:
            raise click.ClickException("A user with this e-mail already exists.")
        user = _or_click_error(accounts.create_user, email, role, password or _ask_password(), name=name,
                               divisions=chosen)
        db.session.commit()
        where = f" for {', '.join(divisions)}" if divisions else ""
        click.echo(f"Account {user.email} created: {role}{where}.")

    @app.cli.command("set-password")
    @click.option("--email", required=True)
    @click.option("--password", help="Asked for, hidden and twice, when not given.")
    def set_password(email, password):
        """Set a staff account's password (and lift a lock-out after failed logins)."""
        user = accounts.find_user(email)
        if user is None:
            raise click.ClickException("No account with this e-mail.")
        _or_click_error(accounts.set_password, user, password or _ask_password())
        login_throttle.forget_failures(user.email, current_app.config["SECRET_KEY"])
        db.session.commit()
        click.echo(f"Password of {user.email} set.")

    register_mail_commands(app)
    register_api_key_commands(app)
    from .cli_report import register_report_command
    register_report_command(app)


def _instant(value):
    """``--now``: ISO 8601, read as Moscow (booking) time when it has no offset."""
    if not value:
        return now_utc()
    try:
        return parse_iso_datetime(value, get_tz(current_app.config["BOOKING_TIMEZONE"]))
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T10:00:00+03:00", param_hint="--now") from None


def send_reminders_and_mail(now, batch_size=None, stop=None):
    """Queue the reminders due at ``now``, then deliver everything due; returns (queued, report)."""
    room = mailroom()
    queued = outbox.queue_due_reminders(room, now)
    queued += answer_reminders.queue_due_answer_reminders(now, AppealSettings.from_config(current_app.config),
                                                          room)
    db.session.commit()
    return queued, delivery.deliver_all_due(room, now, batch_size, stop=stop)


def run_mail_worker(interval, stop):
    """Send reminders and mail every ``interval`` seconds until ``stop`` is set."""
    while not stop.is_set():
        try:
            queued, report = send_reminders_and_mail(now_utc(), stop=stop)
            if queued or report.claimed:
                log.info("mail worker: %d reminder(s) queued; %s", queued, report)
        except Exception:  # a database or template error must not end the worker
            db.session.rollback()
            log.exception("mail worker: this round failed; trying again in %s s", interval)
        stop.wait(interval)


def register_mail_commands(app):
    batch_option = click.option("--batch-size", type=click.IntRange(1, 10_000), default=None,
                                help="Messages per SMTP connection (default MAIL_BATCH_SIZE).")

    @app.cli.command("send-mail")
    @batch_option
    def send_mail(batch_size):
        """Deliver the messages due in the outbox, one SMTP connection per batch."""
        report = delivery.deliver_all_due(mailroom(), now_utc(), batch_size)
        click.echo(f"Mail: {report}.")

    @app.cli.command("send-reminders")
    @click.option("--now", "now_text", metavar="ISO8601", help="The instant to act at (default: now).")
    @batch_option
    def send_reminders(now_text, batch_size):
        """Queue the reminders due at --now and deliver what is due."""
        queued, report = send_reminders_and_mail(_instant(now_text), batch_size)
        click.echo(f"Reminders queued: {queued}. Mail: {report}.")

    @app.cli.command("mail-worker")
    @click.option("--interval", type=click.FloatRange(0.1), default=None,
                  help="Seconds between rounds (default MAIL_WORKER_INTERVAL).")
    def mail_worker(interval):
        """Send reminders and mail in a loop until SIGTERM or Ctrl-C."""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stop.set())
        interval = interval or current_app.config["MAIL_WORKER_INTERVAL"]
        click.echo(f"Mail worker: a round every {interval:g} s; SIGTERM or Ctrl-C stops it.")
        run_mail_worker(interval, stop)
        click.echo("Mail worker stopped.")


def register_api_key_commands(app):
    """``flask api-key create|list|revoke``: the keys of the programs that book through the API."""
    from .accounts import api_clients as api_keys

    @app.cli.group("api-key")
    def api_key():
        """Create, list and revoke API keys."""

    @api_key.command("create")
    @click.option("--name", required=True, help="Who uses the key, e.g. «Горячая линия».")
    @click.option("--permission", "permissions", multiple=True, type=click.Choice(api_keys.PERMISSIONS),
                  default=("bookings",), show_default=True, help="What the key allows (repeat for several).")
    def create(name, permissions):
        """Create a key; it is printed once, alone on the last line."""
        try:
            client, key = api_keys.create_client(name, now_utc(), permissions)
        except api_keys.ApiKeyError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        click.echo(f"API client #{client.id} «{client.name}» ({client.permissions}). "
                   "The key is shown only now; keep it secret:")
        click.echo(key)

    @api_key.command("list")
    def list_keys():
        """Every client: id, name, permissions, created, last used, revoked."""
        for client in api_keys.all_clients():
            state = f"revoked {_stamp(client.revoked_at)}" if client.revoked_at else "active"
            click.echo(f"#{client.id}\t{client.name}\t{client.key_prefix}…\t{client.permissions}\t"
                       f"created {_stamp(client.created_at)}\tlast used {_stamp(client.last_used_at)}\t{state}")

    @api_key.command("revoke")
    @click.argument("client_id", type=int)
    def revoke(client_id):
        """Stop a client's key at once."""
        client = api_keys.get_client(client_id)
        if client is None:
            raise click.ClickException(f"No API client #{client_id}.")
        api_keys.revoke(client, now_utc())
        db.session.commit()
        click.echo(f"The key of «{client.name}» (#{client.id}) is revoked.")


def _stamp(value):
    if value is None:
        return "never"
    return value.astimezone(get_tz(current_app.config["BOOKING_TIMEZONE"])).strftime("%Y-%m-%d %H:%M")
