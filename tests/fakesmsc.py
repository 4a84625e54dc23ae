"""What Kannel's fake operator (fakesmsc) printed, read back as the texts a phone would show.

fakesmsc prints one line per message it receives::

    Got message 3: <Priyom +79161234567 ucs-2 %04%1F%04%40%048…>
    Got message 4: <Priyom +79161234567 udh %05%00%03%02%02%01 data %04%12…>

``text`` is printable ASCII written as it is; ``data``, ``ucs-2`` and the parts
of a split text (``udh <header> data <bytes>``) are URL-encoded bytes, ``+``
standing for the byte 0x20. UCS-2 is UTF-16BE. A split text's parts carry no
coding, so UCS-2 is recognised by its bytes (Cyrillic has 0x04, Latin 0x00).
"""
import re
import urllib.parse
from dataclasses import dataclass


@dataclass
class Sms:
    """One text as the operator received it (its parts joined)."""
    sender: str
    receiver: str
    text: str
    parts: int = 1


_GOT = re.compile(r"Got message (\d+): <(.*)>$")


def decode_data(encoded):
    """fakesmsc's URL-encoding of bytes: %XX escapes, ``+`` for the byte 0x20."""
    return urllib.parse.unquote_to_bytes(encoded.replace("+", "%20"))


def parse_line(line):
    """``(sender, receiver, kind, udh_bytes, data_bytes)`` from a "Got message N: <…>" line, or None.

    ``kind`` is ``text`` (printable ASCII, written as is), ``data`` (bytes),
    ``ucs-2`` (UTF-16BE) or ``udh`` (a part of a longer text, with its header).
    """
    found = _GOT.search(line.rstrip("\n"))
    if not found:
        return None
    sender, receiver, kind, rest = found.group(2).split(" ", 3)
    if kind == "text":
        return sender, receiver, kind, b"", rest.encode("latin-1")
    if kind == "udh":
        udh, data_kind, data = rest.split(" ", 2)
        return sender, receiver, kind, decode_data(udh), data.encode("latin-1") if data_kind == "text" \
            else decode_data(data)
    return sender, receiver, kind, b"", decode_data(rest)


def _concatenation(udh):
    """``(reference, total, number)`` from a concatenation header, or None."""
    i = 1
    while i + 1 < len(udh):
        iei, length = udh[i], udh[i + 1]
        value = udh[i + 2:i + 2 + length]
        if iei == 0x00 and length == 3:
            return value[0], value[1], value[2]
        if iei == 0x08 and length == 4:
            return value[0] << 8 | value[1], value[2], value[3]
        i += 2 + length
    return None


def _decode_text(data, ucs2):
    if ucs2:
        return data.decode("utf-16-be")
    return data.decode("utf-8", errors="replace")


def _looks_ucs2(data):
    # UCS-2 of Cyrillic has 0x04 bytes, of Latin letters 0x00 bytes; 7-bit text has neither.
    return len(data) % 2 == 0 and any(b < 0x09 for b in data)


def join_messages(parsed):
    """Texts from parsed fakesmsc lines, the parts of a split text joined, in the order they completed."""
    texts, pending = [], {}
    for sender, receiver, kind, udh, data in parsed:
        header = _concatenation(udh) if kind == "udh" else None
        if header is None:
            texts.append(Sms(sender, receiver, _decode_text(data, kind == "ucs-2" or (
                kind == "data" and _looks_ucs2(data)))))
            continue
        reference, total, number = header
        key = (sender, receiver, reference, total)
        parts = pending.setdefault(key, {})
        parts[number] = data
        if len(parts) == total:
            del pending[key]
            joined = b"".join(parts[n] for n in sorted(parts))
            texts.append(Sms(sender, receiver, _decode_text(joined, _looks_ucs2(joined)), parts=total))
    return texts
