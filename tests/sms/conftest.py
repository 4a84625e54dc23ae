"""A real Kannel for the SMS tests: bearerbox and smsbox on free ports, with Kannel's fakesmsc as the operator.

fakesmsc prints every message the operator side receives, e.g.
``Got message 1: <Priyom +79161234567 ucs-2 %04%12%04K%00+...>``: sender,
receiver, coding and the text (for ucs-2, UTF-16BE URL-encoded with ``+``
for a 0x20 byte). :meth:`Kannel.received` decodes them to UTF-8 text.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from werkzeug.serving import make_server

BEARERBOX, SMSBOX = "/usr/sbin/bearerbox", "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
USERNAME, PASSWORD = "priyom", "kannel-secret"

CONFIG = """\
group = core
admin-port = {admin}
admin-password = adm
smsbox-port = {smsbox}
box-allow-ip = "127.0.0.1"
log-file = "{dir}/bearerbox.log"
log-level = 1
store-type = spool
store-location = "{dir}/spool"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {smsc}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
log-file = "{dir}/smsbox.log"
log-level = 1

group = sendsms-user
username = {username}
password = {password}
concatenation = true
max-messages = 5

group = sms-service
keyword = default
text = "ok"
catch-all = true
"""

_GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$", re.MULTILINE)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


@dataclass
class Sms:
    sender: str
    receiver: str
    coding: str
    text: str


def decode_fakesmsc(coding, payload):
    """The text of one fakesmsc line: as it is for 7-bit text; for ucs-2 URL-encoded UTF-16BE, ``+`` for 0x20."""
    if coding != "ucs-2":
        return payload
    return unquote_to_bytes(payload.replace("+", "%20")).decode("utf-16-be")


class Kannel:
    """bearerbox, smsbox and fakesmsc in a folder of their own; smsbox can be stopped and started again."""

    def __init__(self, folder):
        self.dir = Path(folder)
        (self.dir / "spool").mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in ("admin", "smsbox", "smsc", "sendsms")}
        self.config = self.dir / "kannel.conf"
        self.config.write_text(CONFIG.format(dir=self.dir, username=USERNAME, password=PASSWORD, **self.ports))
        self.output = self.dir / "fakesmsc.out"
        self.processes = {}
        self.username, self.password = USERNAME, PASSWORD

    @property
    def sendsms_url(self):
        return f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"

    def _spawn(self, name, args, **kwargs):
        self.processes[name] = subprocess.Popen(args, cwd=self.dir, start_new_session=True, **kwargs)

    def start(self):
        self._spawn("bearerbox", [BEARERBOX, str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.ports["smsbox"])
        wait_for_port(self.ports["smsc"])
        with open(self.output, "ab") as out:
            # -m 0: send nothing, only print what arrives.
            self._spawn("fakesmsc", [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["smsc"]), "-i", "0.1",
                                     "-m", "0", "100 200 text hi"], stdout=out, stderr=subprocess.STDOUT)
        self.start_smsbox()
        self.wait_until_ready()

    def start_smsbox(self):
        self._spawn("smsbox", [SMSBOX, str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.ports["sendsms"])

    def wait_until_ready(self, timeout=15.0):
        """Until bearerbox reports the fake SMSC online (fakesmsc connects after a moment)."""
        import urllib.request
        url = f"http://127.0.0.1:{self.ports['admin']}/status.txt?password=adm"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if "online" in response.read().decode("utf-8", "replace").split("SMSC connections:")[-1]:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("the fake SMSC did not come online")

    def stop(self, name):
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_smsbox(self):
        self.stop("smsbox")

    def close(self):
        for name in ("smsbox", "fakesmsc", "bearerbox"):
            self.stop(name)

    def received(self):
        """Every SMS fakesmsc has received so far, decoded."""
        text = self.output.read_text("utf-8", "replace") if self.output.exists() else ""
        return [Sms(m.group(1), m.group(2), m.group(3), decode_fakesmsc(m.group(3), m.group(4)))
                for m in _GOT.finditer(text)]

    def wait_for(self, count, timeout=10.0):
        """The received messages once there are at least ``count`` of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.received()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"fakesmsc received {len(self.received())} message(s), expected {count}")


@pytest.fixture(scope="module")
def kannel(tmp_path_factory):
    """A running Kannel (bearerbox + smsbox) with fakesmsc as the operator; stopped afterwards."""
    missing = [path for path in (BEARERBOX, SMSBOX, FAKESMSC) if not shutil.which(path)]
    if missing:
        pytest.skip(f"Kannel is not installed ({', '.join(missing)}): apt-get install kannel kannel-extras")
    gateway = Kannel(tmp_path_factory.mktemp("kannel"))
    try:
        gateway.start()
        yield gateway
    finally:
        gateway.close()


@pytest.fixture
def served(app):
    """The test application served over HTTP on a free port (Kannel calls it with delivery reports)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
