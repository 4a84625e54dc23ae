"""The layout's rules, read from the source: what each part of ``booking`` may import.

- ``core/`` is pure: the standard library and its field's libraries, nothing of Flask, the
  database or the rest of ``booking``;
- the operations (``bookings/``, ``accounts/``, ``feeds/``, ``appeals/``, ``notify/``) never read the
  request or the application in context (settings reach them as arguments: ``notify/`` gets the
  application's mailroom), and never import the delivery adapters (``web/``, ``api/``, ``cli``);
- a view module never imports another module's private names;
- no module grows past ~400 lines.
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "booking"
CORE_MAY_IMPORT = {"bisect", "collections", "csv", "dataclasses", "datetime", "enum", "functools", "io", "itertools",
                   "re", "typing", "unicodedata", "zoneinfo", "holidays", "icalendar", "phonenumbers",
                   "email_validator", "openpyxl"}
OPERATIONS = ("bookings", "accounts", "feeds", "appeals", "notify")
ADAPTERS = ("web", "api", "cli")
MAX_LINES = 420


def modules(*areas):
    for area in areas:
        yield from sorted((PACKAGE / area).rglob("*.py"))


def imports(path):
    """``(module, level, names)`` of every import in ``path``, absolute modules with level 0."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0, ()
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level, tuple(alias.name for alias in node.names)


def flask_attributes(path):
    """The names read as ``flask.<name>`` in ``path`` (after ``import flask``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "flask"}


def resolved(path, module, level):
    """The dotted name an import refers to, e.g. ``booking.web.helpers``."""
    if not level:
        return module
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    base = package[: len(package) - level + 1]
    return ".".join((*base, module) if module else base)


def test_core_is_pure():
    found = []
    for path in modules("core"):
        for module, level, _names in imports(path):
            target = resolved(path, module, level)
            if level:
                if not target.startswith("booking.core"):
                    found.append((path.name, target))
            elif target.split(".")[0] not in CORE_MAY_IMPORT:
                found.append((path.name, target))
    assert found == []


@pytest.mark.parametrize("area", OPERATIONS)
def test_operations_never_reach_for_the_request_or_the_adapters(area):
    forbidden_names = {"request", "session", "g", "current_app", "has_request_context"}
    found = []
    for path in modules(area):
        for module, level, names in imports(path):
            target = resolved(path, module, level)
            if target in ("flask", "flask.globals") and forbidden_names & set(names):
                found.append((path.name, sorted(forbidden_names & set(names))))
            if target.startswith(tuple(f"booking.{adapter}" for adapter in ADAPTERS)):
                found.append((path.name, target))
        if forbidden_names & flask_attributes(path):
            found.append((path.name, sorted(forbidden_names & flask_attributes(path))))
    assert found == []


def test_no_module_imports_another_modules_private_names():
    found = []
    for path in PACKAGE.rglob("*.py"):
        for module, level, names in imports(path):
            if resolved(path, module, level).startswith("booking"):
                found += [(path.name, name) for name in names if name.startswith("_") and name != "__version__"]
    assert found == []


def test_no_module_is_too_long():
    long = {str(path.relative_to(PACKAGE)): n for path in PACKAGE.rglob("*.py")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_rules_catch_a_forbidden_import(tmp_path):
    """The checks above fail when someone adds what they forbid."""
    fake = tmp_path / "booking"
    (fake / "core").mkdir(parents=True)
    (fake / "core" / "bad.py").write_text("from flask import current_app\nfrom ..models import Booking\n")
    (fake / "bookings").mkdir()
    (fake / "bookings" / "bad.py").write_text("from flask import request\nfrom ..web.helpers import lang\n")
    (fake / "notify").mkdir()
    (fake / "notify" / "bad.py").write_text("from flask import current_app\n")
    (fake / "feeds").mkdir()
    (fake / "feeds" / "bad.py").write_text("import flask\n\ndef base():\n    return flask.current_app.config\n")
    globals()["PACKAGE"], saved = fake, PACKAGE
    try:
        with pytest.raises(AssertionError):
            test_core_is_pure()
        for area in ("bookings", "notify", "feeds"):
            with pytest.raises(AssertionError):
                test_operations_never_reach_for_the_request_or_the_adapters(area)
    finally:
        globals()["PACKAGE"] = saved


MODEL_NAMES = {"Booking", "Division", "ReceptionRule", "Closure", "User", "AuditEntry", "OutboxMessage", "FeedToken",
               "ApiClient", "District", "DeliveryWorker", "ReceptionCard", "WrittenAnswer"}


def test_views_write_no_model_themselves():
    """web/ and api/ call operations: no session.add/delete and no model built in a view."""
    found = []
    for path in modules("web", "api"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in ("add", "add_all", "delete") and \
                        isinstance(func.value, ast.Attribute) and func.value.attr == "session":
                    found.append((path.name, node.lineno, f"session.{func.attr}"))
                if isinstance(func, ast.Name) and func.id in MODEL_NAMES:
                    found.append((path.name, node.lineno, func.id))
    assert found == []
