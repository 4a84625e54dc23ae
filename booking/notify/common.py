"""What every message shares: its kinds and states, the mail settings, and header safety."""
import logging
import re
import unicodedata
from datetime import timedelta
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email

log = logging.getLogger("booking.notify")


class Kind:
    CONFIRMATION = "confirmation"
    RESCHEDULE = "reschedule"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"
    MANAGE_LINK = "manage_link"
    ANSWER = "answer"  # the decision on the appeal raised at the reception


class Status:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # A reminder whose booking was cancelled or moved before it could be sent.
    SKIPPED = "skipped"


RENEWAL_SALT = "priyom-manage-link-renewal"
RENEWAL_MAX_AGE = timedelta(days=3)
# At most one fresh-link message per booking in this period.
RENEWAL_REQUEST_PERIOD = timedelta(minutes=15)

_SECRET_IN_URL = re.compile(r"(token=|/link/)[A-Za-z0-9_.\-]{16,}")
_HEADER_MAX = 200


# -- configuration ---------------------------------------------------------

def not_sending_reason(mailroom):
    """Why messages stay in the outbox (no server, or sending suppressed), or "" when they are sent."""
    config = mailroom.config
    if not config.get("MAIL_SERVER"):
        return "MAIL_SERVER is not set"
    if config.get("MAIL_SUPPRESS_SEND", False):
        return "MAIL_SUPPRESS_SEND is on"
    return ""


def reminder_offsets(value):
    """``MAIL_REMINDER_HOURS`` ("24", "24,2", 24 or [24, 2]) as distinct timedeltas, shortest first."""
    if isinstance(value, (int, float)):
        items = [value]
    elif isinstance(value, str):
        items = [part for part in value.replace(";", ",").split(",") if part.strip()]
    else:
        items = list(value or [])
    hours = {float(item) for item in items}
    if any(h <= 0 for h in hours):
        raise ValueError("MAIL_REMINDER_HOURS must be positive")
    return [timedelta(hours=h) for h in sorted(hours)]


def hours_label(offset):
    return f"{offset.total_seconds() / 3600:g}"


# -- header safety -----------------------------------------------------------

def header_text(value, max_len=_HEADER_MAX):
    """``value`` fit for a header: one line, no control, format or separator characters."""
    value = unicodedata.normalize("NFC", str(value or ""))
    kept = [" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs") else ch
            for ch in value]
    return " ".join("".join(kept).split())[:max_len]


def redact(text):
    return _SECRET_IN_URL.sub(r"\1[removed]", text or "")


def checked_address(value):
    """The ASCII form of a valid e-mail address; raises ValueError for anything else."""
    try:
        result = validate_email(value or "", check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return result.ascii_email


def sender_address(mailroom):
    """``MAIL_DEFAULT_SENDER`` ("Name <addr>", an address, or a pair) as ``(name, address)``."""
    sender = mailroom.config.get("MAIL_DEFAULT_SENDER") or "priyom@localhost"
    name, addr = sender if isinstance(sender, (tuple, list)) else parseaddr(sender)
    return header_text(name), addr

