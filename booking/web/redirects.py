"""Where a ``next=`` parameter may send a browser: a path on this site, nothing else.

One check for every redirect that follows user input (the language switch,
the staff login, the feed pages...): an absolute URL, a scheme-relative
``//host``, a backslash (which browsers read as a slash) or any control
character (CR/LF would split the ``Location`` header) falls back to a page
chosen by the view, so a link can neither lead off the site nor break the response.
"""
import re
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")


def local_path(target, fallback=None):
    """``target`` when it is a plain path on this site, else ``fallback``."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return fallback
    if _UNSAFE.search(target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
