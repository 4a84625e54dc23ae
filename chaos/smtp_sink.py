"""An SMTP server for the fault scenarios, run in a process of its own as a mail server is.

    python -m chaos.smtp_sink --port PORT --log FILE [--delay SECONDS]
                              [--drop-after N --refuse-seconds SECONDS]

It accepts every message (after ``--delay`` seconds, like a real server
taking its time) and appends one line per accepted message to ``--log``:
``DELIVERED <monotonic seconds> <Message-ID>``. With ``--drop-after N`` it
cuts the connection in the middle of the message after the N-th, without an
answer, and then refuses mail for ``--refuse-seconds``: the first half
greeting every connection with ``421`` and closing it, the second half not
listening at all (connection refused). The moments of these changes are
logged as ``EVENT <monotonic seconds> <name>`` lines (``drop``,
``refuse-421``, ``refuse-closed``, ``accepting``).
"""
import argparse
import asyncio
import time
from email.parser import BytesHeaderParser

from aiosmtpd.smtp import SMTP


class Log:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8", buffering=1)

    def write(self, kind, text):
        self.file.write(f"{kind} {time.monotonic():.6f} {text}\n")


class Refuse421(asyncio.Protocol):
    """Greets with 421 and hangs up, as a server that cannot take mail now."""

    def connection_made(self, transport):
        transport.write(b"421 4.3.2 Service not available, closing transmission channel\r\n")
        transport.close()


class Sink:
    """aiosmtpd handler and the schedule of the outage."""

    def __init__(self, args, log):
        self.args, self.log = args, log
        self.accepted = 0
        self.phase = "accepting"  # then "refuse-421", "refuse-closed", "accepting" again
        self.server = None

    async def handle_DATA(self, server, session, envelope):
        if self.args.drop_after and self.phase == "accepting" and self.accepted == self.args.drop_after:
            self.accepted += 1  # only once
            self.log.write("EVENT", "drop")
            server.transport.abort()
            self.begin_outage()
            return "421 4.3.2 Connection dropped"  # never reaches the client
        if self.args.delay:
            await asyncio.sleep(self.args.delay)
        message_id = BytesHeaderParser().parsebytes(envelope.original_content)["Message-ID"] or "-"
        self.accepted += 1
        self.log.write("DELIVERED", message_id.strip())
        return "250 2.0.0 Message accepted for delivery"

    def protocol(self):
        if self.phase == "refuse-421":
            return Refuse421()
        return SMTP(self, hostname="sink.example", ident="chaos sink")

    async def listen(self):
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self.protocol, "127.0.0.1", self.args.port, reuse_address=True)

    def begin_outage(self):
        loop = asyncio.get_running_loop()
        half = self.args.refuse_seconds / 2
        self.switch("refuse-421")
        loop.call_later(half, self.switch, "refuse-closed")
        loop.call_later(self.args.refuse_seconds, self.switch, "accepting")

    def switch(self, phase):
        self.phase = phase
        if phase == "refuse-closed":
            self.server.close()
        elif phase == "accepting" and not self.server.is_serving():
            asyncio.ensure_future(self.listen())
        self.log.write("EVENT", phase)


async def main(args):
    sink = Sink(args, Log(args.log))
    await sink.listen()
    sink.log.write("EVENT", "listening")
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--drop-after", type=int, default=0)
    parser.add_argument("--refuse-seconds", type=float, default=0.0)
    asyncio.run(main(parser.parse_args()))
