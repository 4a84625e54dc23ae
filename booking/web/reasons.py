"""Why a time cannot be booked, in the reader's language: one sentence for the pages and the API."""
from flask_babel import gettext as _
from flask_babel import ngettext

from ..core import scheduling


def unbookable_message(reason, policy):
    """The sentence telling why a time cannot be booked (see :func:`scheduling.unbookable_reason`)."""
    if reason == scheduling.PAST:
        return _("This time has already passed.")
    if reason == scheduling.SHORT_NOTICE:
        minutes = policy.min_notice_minutes
        if minutes % 60 == 0:
            return ngettext("This time is too soon: appointments are made at least %(num)d hour ahead.",
                            "This time is too soon: appointments are made at least %(num)d hours ahead.",
                            minutes // 60)
        return ngettext("This time is too soon: appointments are made at least %(num)d minute ahead.",
                        "This time is too soon: appointments are made at least %(num)d minutes ahead.",
                        minutes)
    if reason == scheduling.BEYOND_WINDOW:
        return ngettext("This time is too far ahead: appointments are open %(num)d day ahead.",
                        "This time is too far ahead: appointments are open %(num)d days ahead.",
                        policy.horizon_days)
    if reason == scheduling.NO_RECEPTION_DAY:
        return _("There is no reception on this day.")
    if reason == scheduling.OUTSIDE_HOURS:
        return _("There is no reception at this time.")
    return _("This time cannot be booked.")
