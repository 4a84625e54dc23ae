"""Booking codes read over the phone: the alphabet, and how typed codes are understood."""
import pytest

from booking.bookings.codes import CODE_ALPHABET, LEGACY_ALPHABET, code_candidates, new_code, normalise_code


def test_new_codes_use_only_letters_that_read_aloud_cleanly():
    codes = {new_code() for _ in range(500)}
    for code in codes:
        assert len(code) == 7 and code[3] == "-"
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
    assert not set("QUVWYGJBOISZ0125 8") & set(CODE_ALPHABET)
    assert set(CODE_ALPHABET) <= set(LEGACY_ALPHABET)


@pytest.mark.parametrize("typed", ["3VH-3X9", "3vh-3x9", "3VH3X9", "3 VH 3X9", " 3vh 3x9 ", "3ВН-3Х9", "3вн3х9",
                                   "ЗВН-ЗХ9", "3VH—3X9"])
def test_a_code_typed_any_way_normalises_to_the_stored_form(typed):
    assert normalise_code(typed) == "3VH-3X9"


def test_letters_with_two_readings_give_both_candidates():
    # «Р» looks like P and sounds like R; «Н» looks like H and sounds like N.
    assert set(code_candidates("КРН-737")) == {"KPH-737", "KPN-737", "KRH-737", "KRN-737"}
    assert code_candidates("КРН-737")[0] == "KPH-737"
    assert code_candidates("abc") == ["AVC"]


def test_example_codes_shown_in_hints_are_codes_the_service_can_make():
    import pathlib
    import re
    root = pathlib.Path(__file__).resolve().parents[2]
    sources = [*root.joinpath("templates").rglob("*.html"), root / "booking" / "api" / "openapi.py",
               root / "booking" / "web" / "my_booking.py"]
    examples = {(path.name, code) for path in sources
                for code in re.findall(r"(?:example|e\.g\.),? ([A-Z0-9]{3}-[A-Z0-9]{3})\b", path.read_text("utf-8"))}
    assert examples, "the hints show example codes"
    assert [(name, code) for name, code in sorted(examples)
            if not set(code.replace("-", "")) <= set(CODE_ALPHABET)] == []
