"""Booking codes: how they are made, and how a code typed or heard over the phone finds its booking.

A code is six characters shown as ``XXX-XXX``. New codes use letters and
digits that read aloud cleanly in Russian and English and cannot be taken for
one another (:data:`CODE_ALPHABET`); codes made with the earlier, larger
alphabet (:data:`LEGACY_ALPHABET`) stay valid.

People type codes in lower case, without the hyphen, with spaces, or with the
Cyrillic letters that look or sound like the Latin ones («3ВН-3Х9» for
«3VH-3X9»). :func:`normalise_code` gives the one stored form a typed code most
likely means; :func:`code_candidates` adds the other readings of the few
Cyrillic letters that stand for two Latin ones (Н looks like H and sounds like
N; Р looks like P and sounds like R; У looks like Y and sounds like U), so that
every lookup finds the booking whichever was meant.
"""
import itertools
import secrets

# No look-alikes (0/O, 1/I, 2/Z, 5/S, 8/B) and nothing hard to dictate (G/J, Q, U, V, W, Y).
CODE_ALPHABET = "ACDEFHKLMNPRTX34679"
# The alphabet of codes made before; every code of it is still found.
LEGACY_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
CODE_LENGTH = 6

# Cyrillic letters (upper case) and what they stand for in a code; the first reading is the likelier one.
_CYRILLIC = {
    "А": "A", "В": "V", "С": "C", "Ц": "C", "Д": "D", "Е": "E", "Ё": "E", "Э": "E", "Ф": "F", "Г": "G",
    "К": "K", "Л": "L", "М": "M", "Т": "T", "Х": "X", "З": "3", "Ч": "4", "Б": "6",
    "Н": "HN", "Р": "PR", "У": "YU",
}
# Latin letters that no code contains and the code letter they are mistaken for.
_LATIN = {"B": "V", "S": "C", "Z": "3"}


def new_code():
    """A fresh booking code such as ``K7R-4M3``."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{chars[:3]}-{chars[3:]}"


def _readings(code):
    """For each typed character that counts, the code characters it may stand for."""
    readings = []
    for ch in (code or "").upper():
        if ch in _CYRILLIC:
            readings.append(_CYRILLIC[ch])
        elif ch.isalnum():  # unknown letters stay, and match no code
            readings.append(_LATIN.get(ch, ch))
        # anything else (hyphens, spaces, dots, dashes) separates groups and is dropped
    return readings


def _shape(raw):
    return f"{raw[:3]}-{raw[3:]}" if len(raw) == CODE_LENGTH else raw


def normalise_code(code):
    """The stored form a typed code most likely means: upper case, Latin, ``XXX-XXX``."""
    return _shape("".join(options[0] for options in _readings(code)))


def code_candidates(code, limit=64):
    """Every stored form the typed ``code`` may mean, the likeliest first (at most ``limit``)."""
    readings = _readings(code)
    if len(readings) != CODE_LENGTH:
        return [_shape("".join(options[0] for options in readings))]
    combos = itertools.islice(itertools.product(*readings), limit)
    return [_shape("".join(chars)) for chars in combos]
