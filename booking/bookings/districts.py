"""Which division serves a citizen's district: administrators attach districts, citizens choose theirs.

A district (one of Moscow's administrative districts, «Бескудниковский») is
served by exactly one division; attaching it to another division moves it.
Topic-only divisions (billing, customer service) have no districts and are
found by their topic on the home page.

Request-free: the caller commits.
"""
import unicodedata

import sqlalchemy as sa

from ..extensions import db
from ..models import District, Division

NAME_MAX = 100


def clean_name(value):
    """A district's name as typed: one line, single spaces, «ё» kept; "" for nothing."""
    value = unicodedata.normalize("NFC", value or "")
    return " ".join(value.split())[:NAME_MAX]


def parse_names(text):
    """The distinct district names of ``text``, one per line (or separated by commas or semicolons)."""
    names, seen = [], set()
    for part in (text or "").replace(";", "\n").replace(",", "\n").splitlines():
        name = clean_name(part)
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _alphabetical(name):
    # Databases put «Ё» before «А»; the alphabet puts it with «Е».
    return name.casefold().replace("ё", "е")


def district_names(division):
    """The names of the districts ``division`` serves, in alphabetical order."""
    return sorted(db.session.scalars(sa.select(District.name).where(District.division_id == division.id)),
                  key=_alphabetical)


def set_districts(division, names):
    """Make ``division`` serve exactly ``names``; returns the names taken over from other divisions."""
    wanted = {name.casefold(): name for name in names}
    existing = db.session.scalars(sa.select(District)).all()
    by_key = {d.name.casefold(): d for d in existing}
    moved = []
    for district in existing:
        if district.division_id == division.id and district.name.casefold() not in wanted:
            db.session.delete(district)
    for key, name in wanted.items():
        district = by_key.get(key)
        if district is None:
            db.session.add(District(name=name, division_id=division.id))
        elif district.division_id != division.id:
            district.division_id = division.id
            moved.append(district.name)
        else:
            district.name = name
    db.session.flush()
    return sorted(moved)


def served_districts():
    """``(district id, district name)`` of every district whose division takes bookings, by name."""
    rows = db.session.execute(sa.select(District.id, District.name).join(Division).where(Division.active)).all()
    return sorted(rows, key=lambda row: _alphabetical(row.name))


def division_of(district_id):
    """The active division serving district ``district_id``, or None."""
    return db.session.scalar(sa.select(Division).join(District, District.division_id == Division.id)
                             .where(District.id == district_id, Division.active))
