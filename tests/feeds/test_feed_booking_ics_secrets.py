"""A booking's downloadable .ics carries no secret: calendars get shared, and so do their files."""
import re

from feed_helpers import EVERY_DAY, at


def test_the_booking_ics_carries_no_manage_token(client, make_division, make_booking):
    booking, token = make_booking(make_division(weekdays=EVERY_DAY), at(3, "10:00"))

    response = client.get(f"/bookings/{booking.code}.ics?token={token}")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    unfolded = re.sub(r"\r?\n[ \t]", "", body)  # a long line may be folded in the middle of the token
    assert token not in unfolded and "token=" not in unfolded
    request_page = f"http://localhost/bookings/{booking.code}/link"
    assert f"URL:{request_page}" in unfolded or f"URL;VALUE=URI:{request_page}" in unfolded
    [description] = re.findall(r"^DESCRIPTION[^:]*:(.*)$", unfolded, flags=re.MULTILINE)
    assert request_page in description
    # The link in the file leads to a page that works without the token.
    assert client.get(f"/bookings/{booking.code}/link").status_code == 200
