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


def test_the_loader_fills_the_booking_table_as_the_models_have_it(tmp_path, monkeypatch):
    """Every column is known to the loader (a new one fails here, not an hour into make bench)."""
    from datetime import date

    from bench import harness

    from booking.core.timeutil import get_tz

    for name, value in harness.RATE_LIMIT_OFF.items():  # the bench app sets them; they end with the test
        monkeypatch.setenv(name, value)
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    app = harness.product_app(url)
    harness.create_schema(app)
    division = harness.add_division(app, "bench-history")
    tz = get_tz("Europe/Moscow")
    loader.load_past_bookings(url, 500, [division], date(2026, 11, 30), tz)
    loader.check_loaded(app, 500, [division], date(2026, 11, 30), tz)
