"""The SMS tests use the session's real Kannel (``kannel`` in tests/conftest.py) and serve the application
over HTTP, since Kannel calls it back with delivery reports."""
import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def served(app):
    """The test application served over HTTP on a free port, named as its public address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    # Kannel calls back at that address: its host is trusted too (the test client keeps localhost).
    app.config["TRUSTED_HOSTS"] = [*app.config["TRUSTED_HOSTS"], "127.0.0.1"]
    try:
        yield app.config["PUBLIC_BASE_URL"]
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def gateway(kannel):
    """The shared Kannel with no texts received yet."""
    kannel.clear()
    return kannel
