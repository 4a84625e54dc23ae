"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives: the tests' mail server."""
import asyncio
import email
import socket
import threading
from dataclasses import dataclass
from email import policy

from aiosmtpd.controller import Controller


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
