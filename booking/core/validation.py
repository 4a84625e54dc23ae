"""Shape and normalisation of a citizen's details, shared by the web form and the API.

Each ``normalise_*`` function returns the stored form of a value or raises
:class:`ValueError` with a message for the person who typed it: an English
catalog id, which the page or the API translates into the reader's language.
"""
import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from .vocabulary import Topic


def N_(message):
    """Mark ``message`` for the catalog; it is translated where it is shown."""
    return message


NAME_MAX = 200
MESSAGE_MAX = 2000
ACCOUNT_RE = re.compile(r"^[0-9A-Za-zА-Яа-яЁё\-/ ]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def clean_text(value, max_len, multiline=False):
    """Trim, normalise Unicode (NFC) and drop control characters from user text."""
    value = unicodedata.normalize("NFC", value or "").strip()
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = "".join(ch for ch in value if ch == "\n" or not _CONTROL.match(ch))
    else:
        value = " ".join(_CONTROL.sub(" ", value).split())
    return value[:max_len]


# Besides letters: the space, hyphens (ASCII and U+2010), apostrophes (ASCII, U+2019, U+02BC) and the dot.
NAME_PUNCTUATION = frozenset(" -\u2010'\u2019\u02bc.")


def normalise_name(value):
    """A full name: letters with spaces, hyphens, apostrophes and dots, nothing else.

    The name is printed in e-mails sent from the service's address, so it must not
    carry a message of its own (a link, digits, a colon).
    """
    name = clean_text(value, NAME_MAX)
    if len(name) < 2:
        raise ValueError(N_("Enter your full name."))
    if not any(ch.isalpha() for ch in name) or any(not ch.isalpha() and ch not in NAME_PUNCTUATION for ch in name):
        raise ValueError(N_("A full name may contain only letters, spaces, hyphens, apostrophes and dots."))
    return name


def clean_field(value, multiline=False):
    """``clean_text`` without the length cut, for a form that reports an overlong value instead."""
    return clean_text(value, None, multiline=multiline)


def normalise_email(value):
    """A deliverable-looking address, lower-cased; no DNS look-up."""
    value = (value or "").strip()
    if not value:
        raise ValueError(N_("Enter your e-mail address."))
    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise ValueError(N_("Enter an e-mail address like name@example.ru.")) from None
    return result.normalized.lower()


def normalise_phone(value, region="RU"):
    """A phone number in E.164 (``+74951234567``); numbers without a code are read as Russian."""
    value = (value or "").strip()
    if not value:
        raise ValueError(N_("Enter your phone number."))
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError(N_("Enter a phone number like +7 916 123-45-67.")) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(N_("Enter a phone number like +7 916 123-45-67."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_topic(value):
    if value not in tuple(Topic):
        raise ValueError(N_("Choose a topic."))
    return value


def normalise_account(value):
    value = clean_text(value, 64)
    if value and not ACCOUNT_RE.match(value):
        raise ValueError(N_("A customer account number has digits and letters only."))
    return value


def format_phone(e164):
    """An E.164 number in the national way it is read aloud."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
