"""The stored form of a client's network address: a keyed, truncated hash, never the address itself.

The same address always gives the same reference under one secret, so staff can
find every booking made from one address (a burst), while the database alone
cannot tell the address: the key is the application's ``SECRET_KEY``.
"""
import hashlib
import hmac

REF_LENGTH = 24  # hex characters: 96 bits, far beyond any collision among a city's addresses


def client_ref(address, secret_key):
    """The reference of ``address`` (an IPv4 or IPv6 address as text) under ``secret_key``; '' without one."""
    address = (address or "").strip().lower()
    if not address:
        return ""
    digest = hmac.new(secret_key.encode("utf-8"), b"client-address:" + address.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:REF_LENGTH]
