"""Real services for the tests: a Redis server and a Kannel SMS gateway with a fake operator.

Each one runs from a temporary folder on free ports of 127.0.0.1, is started
by a session fixture of tests/conftest.py (``redis_server``, ``kannel``) and
stopped by its process ids afterwards. Both can be stopped and started again
on the same ports, for tests of what the application does while they are down.

Kannel
------
``bearerbox`` (the core) talks to the operator's SMS centre, here
``fakesmsc`` from kannel-extras, which prints every message it receives;
``smsbox`` serves the HTTP interface the application calls::

    GET {sendsms_url}?username=…&password=…&from=Priyom&to=%2B79161234567
        &charset=UTF-8&coding=2&text=<UTF-8, URL-encoded>     ->  202 "0: Accepted for delivery"

``coding=2`` sends UCS-2 (needed for Cyrillic: 70 characters a part, 67 when a
text is split); ``coding=0`` sends GSM 7-bit. Longer texts are split into up to
``MAX_PARTS`` parts joined by a concatenation header; ``Kannel.messages()`` joins
them again and decodes the text.

Delivery reports: add ``dlr-mask`` and ``dlr-url`` (URL-encoded) to the GET.
smsbox then calls that URL with GET after Kannel's escapes are replaced:
``%d`` the report type (1 delivered, 2 failed, 4 buffered, 8 accepted by the
SMS centre, 16 rejected by it), ``%A`` the centre's answer, ``%p`` the
recipient, ``%P`` the sender, ``%T`` a Unix time, ``%i`` the SMSC id. With
``dlr-mask=9`` fakesmsc yields two reports for each message, types 8 and 1, in
either order; the URL should answer 2xx. Any identifier of your own goes in the URL
(``…/sms/dlr?id=42&type=%d``).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from fakesmsc import join_messages, parse_line

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
MAX_PARTS = 10


class ServiceError(RuntimeError):
    """A service did not start or answer in time."""


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_program(name):
    """The path of ``name`` on $PATH or in /usr/sbin (bearerbox lives there), or None."""
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
                                       if os.access(p, os.X_OK)), None)


def wait_for(check, timeout, what, log=None):
    """Call ``check`` until it returns something true; raise ServiceError with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    tail = ""
    if log and Path(log).exists():
        tail = "\n--- log ---\n" + "".join(Path(log).read_text(errors="replace").splitlines(True)[-20:])
    raise ServiceError(f"{what} within {timeout} s{tail}")


def listening(port):
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def stop_process(process, timeout=10):
    """SIGTERM, then SIGKILL if it has not ended within ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class RedisServer(str):
    """``redis://127.0.0.1:PORT`` — usable wherever a URL is expected — and the server behind it.

    ``stop()`` and ``start()`` take it down and bring it back on the same port
    (empty: nothing is saved); ``flush()`` empties it; ``ping()`` asks it.
    """

    def __new__(cls, program="redis-server"):
        port = free_port()
        self = super().__new__(cls, f"redis://127.0.0.1:{port}")
        self.port, self.program, self.process = port, program, None
        self.folder = tempfile.mkdtemp(prefix="priyom-redis-")
        return self

    @property
    def url(self):
        return str(self)

    def start(self):
        """Start the server (if it is not running) and wait until it answers PING."""
        if self.process is not None and self.process.poll() is None:
            return self
        log = os.path.join(self.folder, "redis.log")
        self.process = subprocess.Popen(
            [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.folder, "--logfile", log, "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, 10, f"redis-server did not answer on port {self.port}", log=log)
        return self

    def stop(self):
        """Stop the server; connections are refused until ``start()``."""
        stop_process(self.process)
        self.process = None

    def command(self, *words):
        """Send one command, return the first line of the answer (``+PONG``, ``:1``, ``-ERR …``)."""
        payload = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(payload.encode())
            return sock.makefile("rb").readline().decode().rstrip("\r\n")

    def ping(self):
        """True when the server answers PING."""
        try:
            return self.command("PING") == "+PONG"
        except OSError:
            return False

    def flush(self):
        """Empty every database of the server."""
        assert self.command("FLUSHALL") == "+OK"

    def close(self):
        """Stop the server and remove its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


KANNEL_CONF = """\
group = core
admin-port = {admin_port}
admin-interface = "127.0.0.1"
admin-password = "{admin_password}"
smsbox-port = {smsbox_port}
box-allow-ip = "127.0.0.1"
log-file = "{folder}/bearerbox.log"
log-level = 1
access-log = "{folder}/access.log"
store-type = spool
store-location = "{folder}/spool"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
host = 127.0.0.1
port = {smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox_port}
sendsms-port = {sendsms_port}
sendsms-interface = "127.0.0.1"
log-file = "{folder}/smsbox.log"
log-level = 1

group = sendsms-user
username = "{username}"
password = "{password}"
concatenation = true
max-messages = {max_parts}

group = sms-service
keyword = default
text = "ok"
catch-all = true
"""


class Kannel:
    """bearerbox + smsbox + fakesmsc on free ports; the application sends through ``sendsms_url``.

    ``messages()`` lists what the operator received; ``wait_for_messages(n)``
    waits for ``n``; ``clear()`` forgets them. ``stop()``/``start()`` take the
    whole gateway down and back (its HTTP port refuses connections meanwhile);
    ``stop_operator()``/``start_operator()`` only the fake operator (Kannel
    accepts and queues, then delivers when it is back).
    """

    username = "priyom"
    password = "sms-secret"
    admin_password = "kannel-admin"

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="priyom-kannel-")
        os.makedirs(os.path.join(self.folder, "spool"))
        self.admin_port, self.smsbox_port, self.smsc_port, self.sendsms_port = (free_port() for _ in range(4))
        self.conf = os.path.join(self.folder, "kannel.conf")
        Path(self.conf).write_text(KANNEL_CONF.format(
            folder=self.folder, admin_port=self.admin_port, smsbox_port=self.smsbox_port,
            smsc_port=self.smsc_port, sendsms_port=self.sendsms_port, admin_password=self.admin_password,
            username=self.username, password=self.password, max_parts=MAX_PARTS))
        self.bearerbox = self.smsbox = self.fakesmsc = None
        self._lines, self._lock, self._reader = [], threading.Lock(), None

    @property
    def sendsms_url(self):
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def _spawn(self, program, *args, log_name):
        with open(os.path.join(self.folder, log_name), "ab") as log:
            return subprocess.Popen([program, *args], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    cwd=self.folder)

    def status(self):
        """bearerbox's plain-text status page, or '' when it does not answer."""
        url = f"http://127.0.0.1:{self.admin_port}/cgi-bin/status.txt?password={self.admin_password}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode("utf-8", errors="replace")
        except (OSError, urllib.error.URLError):
            return ""

    def start(self):
        """Start the gateway and the operator; return once a sendsms request would be delivered."""
        log = os.path.join(self.folder, "bearerbox.log")
        if self.bearerbox is None or self.bearerbox.poll() is not None:
            self.bearerbox = self._spawn(find_program("bearerbox"), self.conf, log_name="bearerbox.out")
            wait_for(lambda: "Status: running" in self.status(), 15, "bearerbox did not start", log=log)
        if self.smsbox is None or self.smsbox.poll() is not None:
            self.smsbox = self._spawn(find_program("smsbox"), self.conf, log_name="smsbox.out")
            wait_for(lambda: listening(self.sendsms_port), 15, "smsbox did not open its sendsms port",
                     log=os.path.join(self.folder, "smsbox.log"))
            wait_for(lambda: re.search(r"smsbox:.*on-line", self.status()), 15,
                     "smsbox did not connect to bearerbox", log=log)
        return self.start_operator()

    def died(self):
        """The programs that were started and have ended since, without ``stop()``, each with its log's tail."""
        found = []
        for name, process in (("bearerbox", self.bearerbox), ("smsbox", self.smsbox), ("fakesmsc", self.fakesmsc)):
            if process is not None and process.poll() is not None:
                log = Path(self.folder, f"{name}.log")
                tail = "".join(log.read_text(errors="replace").splitlines(True)[-15:]) if log.exists() else ""
                found.append(f"{name} ended with status {process.returncode}\n{tail}")
        return found

    def start_operator(self):
        """Start fakesmsc (if it is not running) and wait until bearerbox sees it online."""
        if self.fakesmsc is None or self.fakesmsc.poll() is not None:
            self.fakesmsc = subprocess.Popen(
                [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-i", "0.1", "-m", "0", "100 200 text hi"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                encoding="latin-1")
            self._reader = threading.Thread(target=self._read, args=(self.fakesmsc.stdout,), daemon=True)
            self._reader.start()
        wait_for(lambda: re.search(r"fake\[fake\].*\(online", self.status()), 15,
                 "fakesmsc did not connect to bearerbox", log=os.path.join(self.folder, "bearerbox.log"))
        return self

    def _read(self, stream):
        for line in stream:
            if "Got message" in line:
                with self._lock:
                    self._lines.append(line)

    def stop_operator(self):
        """Stop fakesmsc: Kannel keeps accepting and queues what it cannot deliver."""
        stop_process(self.fakesmsc)
        if self._reader is not None:
            self._reader.join(timeout=5)
        self.fakesmsc = None

    def stop(self):
        """Stop the whole gateway: sendsms requests are refused until ``start()``."""
        self.stop_operator()
        stop_process(self.smsbox)
        stop_process(self.bearerbox, timeout=15)
        self.smsbox = self.bearerbox = None

    def close(self):
        """Stop everything and remove the folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def lines(self):
        """The raw "Got message" lines fakesmsc printed so far."""
        with self._lock:
            return list(self._lines)

    def messages(self):
        """The texts received so far (``fakesmsc.Sms``, parts joined), oldest first."""
        return join_messages(filter(None, map(parse_line, self.lines())))

    def clear(self):
        """Forget the texts received so far."""
        with self._lock:
            self._lines.clear()

    def wait_for_messages(self, count=1, timeout=10):
        """Wait until at least ``count`` texts have arrived; return them all."""
        wait_for(lambda: len(self.messages()) >= count, timeout,
                 f"fakesmsc did not receive {count} text(s) (got {len(self.messages())})",
                 log=os.path.join(self.folder, "bearerbox.log"))
        return self.messages()

    def send(self, to, text, sender="Priyom", coding=2, **params):
        """Send a text through the HTTP interface, as the application would; returns (status, body)."""
        query = urllib.parse.urlencode({"username": self.username, "password": self.password, "from": sender,
                                        "to": to, "charset": "UTF-8", "coding": coding, "text": text, **params})
        try:
            with urllib.request.urlopen(f"{self.sendsms_url}?{query}", timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
