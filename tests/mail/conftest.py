"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives, and helpers to read it."""
import asyncio
import email
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from email import policy
from pathlib import Path

import pytest
import vobject
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    # aiosmtpd cannot bind port 0 itself: pick a free port first.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list
    data: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.data, policy=policy.default)


class Recorder:
    """aiosmtpd handler: keeps every message; can refuse addresses or answer slowly."""

    def __init__(self):
        self.received = []
        self.connections = 0
        self.refuse = {}  # address -> SMTP reply, e.g. "550 5.1.1 No such user"
        self.delay = 0.0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class CountingController(Controller):
    def factory(self):
        self.handler.connections += 1
        return super().factory()


class SmtpSink:
    """One SMTP server on a fixed port that can be stopped and started again."""

    def __init__(self):
        self.port = free_port()
        self.handler = Recorder()
        self.controller = None

    def start(self):
        self.controller = CountingController(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.handler.connections = 0  # start() opens one connection of its own to check the server

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self):
        return list(self.handler.received)

    @property
    def messages(self):
        return [r.message for r in self.handler.received]

    @property
    def connections(self):
        return self.handler.connections


@pytest.fixture
def smtp_server():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def app_config(app_config, smtp_server):
    return {
        **app_config,
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 5,
        "MAIL_DEFAULT_SENDER": "Приём — запись к руководителю <priyom@priyom.example>",
        "PUBLIC_BASE_URL": "https://priyom.example/",
        # The test client asks for localhost; the links must still name the public address.
        "EXTRA_TRUSTED_HOSTS": ["localhost"],
    }


def parts_of_type(message, content_type):
    return [part for part in message.walk() if part.get_content_type() == content_type]


def invite_of(message):
    """The invite of a message, read by vobject from the text/calendar part; checks the .ics file agrees."""
    [calendar_part] = parts_of_type(message, "text/calendar")
    [attachment] = parts_of_type(message, "application/ics")
    text = calendar_part.get_content()
    assert attachment.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n") == text.replace("\r\n", "\n")
    return vobject.readOne(text), calendar_part, attachment


def flask_command(app, smtp_server, *args):
    """``flask --app app ARGS`` as a separate process on the test's database and SMTP server."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(smtp_server.port), "PUBLIC_BASE_URL": "https://priyom.example/",
           "SECRET_KEY": app.config["SECRET_KEY"]}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
