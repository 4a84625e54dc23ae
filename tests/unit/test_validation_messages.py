"""The messages of the field checks say what to type, in words a citizen reads as advice."""
import pytest

from booking.core.validation import normalise_name


@pytest.mark.parametrize("typed", ["Иванов Иван 2", "John Smith 3rd"])
def test_a_name_with_other_characters_is_told_what_a_name_may_contain(typed):
    with pytest.raises(ValueError) as refused:
        normalise_name(typed)
    assert str(refused.value) == "A name may contain only letters, spaces and hyphens."
