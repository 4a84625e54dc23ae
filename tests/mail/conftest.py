"""Fixtures for the mail tests: the application sends to the suite's SMTP sink; helpers to read what it got."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import vobject

ROOT = Path(__file__).resolve().parents[2]


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
