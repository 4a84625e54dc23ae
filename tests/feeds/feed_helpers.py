"""Small helpers of the calendar tests."""
import re
from datetime import timedelta

import holidays

from helpers import MSK, slot_start
from booking.core.timeutil import now_utc

EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)


def agenda_path(token):
    return f"/feeds/agenda/{token}.ics"


def reception_day(days_ahead):
    """The first local date at least ``days_ahead`` days from today that is no Russian holiday."""
    day = now_utc().astimezone(MSK).date() + timedelta(days=days_ahead)
    ru = holidays.country_holidays("RU", years=[day.year - 1, day.year, day.year + 1])
    while day in ru:
        day += timedelta(days=1)
    return day


def reception_days(count, days_ahead=2):
    """``count`` successive dates without a Russian holiday, from ``days_ahead`` days on."""
    days = [reception_day(days_ahead)]
    while len(days) < count:
        days.append(reception_day((days[-1] - days[0]).days + days_ahead + 1))
    return days


def at(days_ahead, clock="10:00"):
    """The UTC instant of ``clock`` Moscow time on :func:`reception_day` ``days_ahead``."""
    return slot_start(reception_day(days_ahead), clock)


def form_fields(html, action_contains="/feeds/agenda/"):
    """The action and the hidden fields of the POST form whose action contains ``action_contains``."""
    for match in re.finditer(r'<form method="post" action="([^"]+)"(.*?)</form>', html, flags=re.S):
        if action_contains in match.group(1):
            return match.group(1), dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                                   match.group(2)))
    raise AssertionError(f"no form posting to {action_contains!r}")


def feed_settings():
    """The feed settings of the application in context."""
    from flask import current_app

    from booking.feeds.service import FeedSettings

    return FeedSettings.from_config(current_app.config)
