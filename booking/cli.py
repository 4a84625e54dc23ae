"""``flask`` commands: database set-up, demo data, and the delivery of e-mail."""
import logging
import signal
import threading
from datetime import time

import click
import sqlalchemy as sa
from flask import current_app

from . import mail
from .extensions import db
from .models import Division, ReceptionRule
from .timeutil import get_tz, now_utc, parse_iso_datetime

log = logging.getLogger(__name__)

DEMO_DIVISIONS = [
    {
        "slug": "severny-filial",
        "name": "Северный филиал",
        "name_en": "Northern branch",
        "head_name": "Карпов Андрей Викторович",
        "head_title": "Директор филиала",
        "address": "Москва, Дмитровское шоссе, д. 71, стр. 2",
        "room": "каб. 105",
        "directions": "От метро «Петровско-Разумовская» 10 минут пешком; вход со двора, 1 этаж.",
        "description": "Отопление и горячее водоснабжение в районах Северного округа: "
                       "отключения, температура, аварии на магистральных и квартальных сетях.",
        "rules": [(0, "10:00", "13:00"), (2, "10:00", "13:00"), (4, "10:00", "13:00")],
    },
    {
        "slug": "yuzhny-filial",
        "name": "Южный филиал",
        "name_en": "Southern branch",
        "head_name": "Соловьёва Ирина Павловна",
        "head_title": "Директор филиала",
        "address": "Москва, Каширское шоссе, д. 26",
        "room": "каб. 212",
        "directions": "От метро «Каширская» 5 минут пешком; 2 этаж, приёмная.",
        "description": "Отопление и горячая вода в Южном округе, плановые отключения "
                       "и гидравлические испытания.",
        "rules": [(1, "14:00", "17:00"), (2, "14:00", "17:00"), (3, "14:00", "17:00")],
    },
    {
        "slug": "abonentsky-otdel",
        "name": "Абонентский отдел",
        "name_en": "Customer service",
        "head_name": "Лебедев Сергей Николаевич",
        "head_title": "Начальник абонентского отдела",
        "address": "Москва, ул. Ленинская Слобода, д. 23",
        "room": "окно 3",
        "directions": "От метро «Автозаводская» 7 минут пешком; центр обслуживания, 1 этаж.",
        "description": "Договоры, лицевые счета, переоформление, вопросы управляющих компаний и ТСЖ.",
        "rules": [(0, "09:00", "12:00"), (1, "09:00", "12:00"), (3, "09:00", "12:00")],
        "places": 2,
    },
    {
        "slug": "raschetny-otdel",
        "name": "Отдел расчётов",
        "name_en": "Billing department",
        "head_name": "Морозова Елена Александровна",
        "head_title": "Начальник отдела расчётов",
        "address": "Москва, ул. Ленинская Слобода, д. 23",
        "room": "каб. 318",
        "directions": "От метро «Автозаводская» 7 минут пешком; 3 этаж, лифт справа от входа.",
        "description": "Начисления за отопление и горячую воду, перерасчёты, задолженность и оплата.",
        "rules": [(1, "15:00", "18:00"), (3, "15:00", "18:00"), (4, "10:00", "13:00")],
    },
]


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
        added += 1
    return added


def init_app(app):
    @app.cli.command("init-db")
    def init_db():
        """Create the tables that do not exist yet (keeps existing data)."""
        db.create_all()
        click.echo("Database ready.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no division at all.")
    def seed_demo(if_empty):
        """Add four demo divisions with three reception days each (idempotent)."""
        db.create_all()
        if if_empty and db.session.scalar(sa.select(Division.id).limit(1)) is not None:
            click.echo("Demo data: the database already has divisions.")
            return
        added = seed_demo_divisions()
        db.session.commit()
        click.echo(f"Demo data: {added} division(s) added.")

    register_mail_commands(app)


def _instant(value):
    """``--now``: ISO 8601, read as Moscow (booking) time when it has no offset."""
    if not value:
        return now_utc()
    try:
        return parse_iso_datetime(value, get_tz(current_app.config["BOOKING_TIMEZONE"]))
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T10:00:00+03:00", param_hint="--now") from None


def send_reminders_and_mail(now, batch_size=None):
    """Queue the reminders due at ``now``, then deliver everything due; returns (queued, report)."""
    queued = mail.queue_due_reminders(now)
    db.session.commit()
    return queued, mail.deliver_all_due(now, batch_size)


def run_mail_worker(interval, stop):
    """Send reminders and mail every ``interval`` seconds until ``stop`` is set."""
    while not stop.is_set():
        try:
            queued, report = send_reminders_and_mail(now_utc())
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
        report = mail.deliver_all_due(now_utc(), batch_size)
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
