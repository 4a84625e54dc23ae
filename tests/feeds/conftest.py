"""Fixtures of the calendar tests: two independent readers."""
import pytest

from feed_readers import icaljs_reader, install_icaljs, read_with_vobject


@pytest.fixture(scope="session")
def icaljs():
    """Read iCalendar bytes with Mozilla's ical.js (the parser inside Thunderbird)."""
    return icaljs_reader(install_icaljs())


@pytest.fixture(params=["ical.js", "vobject"])
def reader(request):
    """Each test using it runs once per independent reader."""
    if request.param == "ical.js":
        return request.getfixturevalue("icaljs")
    return read_with_vobject
