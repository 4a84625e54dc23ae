"""Every text of the site has a Russian translation that keeps its placeholders."""
from catalogs import extract_messages, read_catalog


def _where(message):
    return ", ".join(sorted({filename for filename, _ in message.locations}))


def test_every_marked_text_is_translated_into_russian():
    ru = read_catalog("ru")
    problems = []
    for message in extract_messages():
        if not message.id:
            continue
        found = ru.get(message.id, message.context)
        strings = found.string if found is not None and found.pluralizable else [getattr(found, "string", "")]
        if found is None:
            problems.append(f"missing      {message.id!r}  ({_where(message)})")
        elif found.pluralizable != message.pluralizable:
            problems.append(f"plural form  {message.id!r}  ({_where(message)}): run make translations")
        elif found.fuzzy:
            problems.append(f"fuzzy        {message.id!r}  ({_where(message)}): check it, then drop '#, fuzzy'")
        elif not all(strings):
            problems.append(f"untranslated {message.id!r}  ({_where(message)})")
    assert not problems, (
        "Run `make translations`, then translate in booking/translations/ru/LC_MESSAGES/messages.po:\n"
        + "\n".join(problems))


def test_russian_translations_keep_placeholders_and_have_three_plural_forms():
    ru = read_catalog("ru")
    assert ru.num_plurals == 3
    errors = [f"{message.id!r}: {'; '.join(map(str, found))}" for message, found in ru.check()]
    assert not errors, "\n".join(errors)
    for message in ru:
        if message.id and message.pluralizable:
            assert len(message.string) == 3 and all(message.string), message.id


def test_every_audit_action_has_a_label_staff_can_read():
    from booking.core.vocabulary import AuditAction
    from booking.web.formatting import AUDIT_ACTIONS

    assert set(AUDIT_ACTIONS) == set(AuditAction)
