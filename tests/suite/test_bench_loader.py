"""bench/loader.py: the codes of a million loaded bookings are the product's codes, in order."""
from bench import loader

from booking.bookings.codes import CODE_ALPHABET, normalise_code

MILLION = 1_000_000


def test_a_million_loaded_codes_are_valid_distinct_and_ascending():
    samples = [loader._code(i) for i in (0, 1, 2, MILLION // 2, MILLION - 1, MILLION)]
    assert samples == sorted(samples) and len(set(samples)) == len(samples)
    for code in samples:
        assert normalise_code(code) == code
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
