"""The SMS tests use the session's real Kannel (``kannel`` in tests/conftest.py) and serve the application
over HTTP, since Kannel calls it back with delivery reports.

One HTTP server answers those calls for the whole session and hands them to the current test's
application. It is never shut down between tests: Kannel's smsbox (1.4.5) panics when the connection of
a delivery report is reset, which is what closing a server with a report still on its way does.
"""
import threading
import time

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

QUIET_SECONDS = 0.3


class CallbackServer:
    """Serves the application it is given; between tests it answers 404 to late delivery reports."""

    def __init__(self):
        self.app = None
        self.last_request = 0.0
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __call__(self, environ, start_response):
        self.last_request = time.monotonic()
        app = self.app
        if app is None:
            return Response("no test is running", status=404)(environ, start_response)
        return app(environ, start_response)

    def settle(self, longest=5.0):
        """Wait until no call has come for a moment (reports of texts sent just now), up to ``longest`` s."""
        deadline = time.monotonic() + longest
        while time.monotonic() < deadline and time.monotonic() - self.last_request < QUIET_SECONDS:
            time.sleep(0.05)


@pytest.fixture(scope="session")
def callback_server():
    server = CallbackServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        thread.join(5)


@pytest.fixture
def served(app, callback_server):
    """The test application served over HTTP, named as its public address."""
    app.config["PUBLIC_BASE_URL"] = callback_server.url
    # Kannel calls back at that address: its host is trusted too (the test client keeps localhost).
    app.config["TRUSTED_HOSTS"] = [*app.config["TRUSTED_HOSTS"], "127.0.0.1"]
    callback_server.app = app
    try:
        yield callback_server.url
    finally:
        callback_server.settle()
        callback_server.app = None


@pytest.fixture
def gateway(kannel):
    """The shared Kannel with no texts received yet."""
    kannel.clear()
    return kannel
