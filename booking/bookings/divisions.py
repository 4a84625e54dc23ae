"""Divisions and their reception schedule as administrators change them; every change is in the
division's audit trail (who, when, what), beside the bookings' own."""
from dataclasses import asdict

import sqlalchemy as sa

from ..core.vocabulary import AuditAction
from ..extensions import db
from ..models import AuditEntry, Closure, Division, ReceptionRule

DIVISION_FIELDS = ("slug", "name", "name_en", "head_name", "head_title", "address", "room", "directions",
                   "description", "email", "active")


class SlugTaken(ValueError):
    """Another division already has this page address."""


def _record(division, actor, action, detail, now):
    db.session.add(AuditEntry(division=division, actor_kind=actor.kind, actor_id=actor.user_id, action=action,
                              detail=detail, at=now))


def _rule_text(spec):
    valid = f" {spec.valid_from or '…'}–{spec.valid_until or '…'}" if spec.valid_from or spec.valid_until else ""
    return (f"{spec.weekday} {spec.start_time:%H:%M}–{spec.end_time:%H:%M} "
            f"{spec.slot_minutes}′×{spec.places}{valid}")


def save_division(division, values, now, actor):
    """Copy ``values`` (the DIVISION_FIELDS) into ``division``, or a new one when None; raises :class:`SlugTaken`."""
    other = db.session.scalar(sa.select(Division).where(Division.slug == values["slug"]))
    if other is not None and other is not division:
        raise SlugTaken(values["slug"])
    new = division is None
    division = Division() if new else division
    changed = [name for name in DIVISION_FIELDS if getattr(division, name) != values[name]]
    for name in DIVISION_FIELDS:
        setattr(division, name, "" if values[name] is None else values[name])
    if new:
        db.session.add(division)
        _record(division, actor, AuditAction.DIVISION_CREATED, division.slug, now)
    elif changed:
        _record(division, actor, AuditAction.DIVISION_CHANGED, ", ".join(changed), now)
    db.session.flush()
    return division


def add_rule(division, spec, now, actor):
    """Add reception hours described by ``spec`` (a :class:`~booking.bookings.RuleSpec`)."""
    division.rules.append(ReceptionRule(**asdict(spec)))
    _record(division, actor, AuditAction.RULE_ADDED, _rule_text(spec), now)


def change_rule(rule, spec, now, actor):
    """Give ``rule`` the shape of ``spec``."""
    before = _rule_text(rule)
    for name, value in asdict(spec).items():
        setattr(rule, name, value)
    _record(rule.division, actor, AuditAction.RULE_CHANGED, f"{before} → {_rule_text(spec)}", now)


def remove_rule(rule, now, actor):
    """Remove reception hours."""
    division = rule.division
    _record(division, actor, AuditAction.RULE_REMOVED, _rule_text(rule), now)
    division.rules.remove(rule)


def add_closure(division, spec, now, actor):
    """Add days without reception (a :class:`~booking.bookings.ClosureSpec`)."""
    division.closures.append(Closure(**asdict(spec)))
    _record(division, actor, AuditAction.CLOSURE_ADDED, f"{spec.first_day}–{spec.last_day} {spec.reason}".strip(),
            now)


def remove_closure(closure, now, actor):
    """Open the days of ``closure`` for bookings again."""
    division = closure.division
    _record(division, actor, AuditAction.CLOSURE_REMOVED,
            f"{closure.first_day}–{closure.last_day} {closure.reason}".strip(), now)
    division.closures.remove(closure)
    db.session.flush()


def division_history(division, limit=50):
    """The latest changes of ``division`` itself (not of its bookings), newest first."""
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.division_id == division.id,
                                                          AuditEntry.booking_id.is_(None))
                              .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)).all()
