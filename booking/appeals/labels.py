"""Names of outcomes, results and report figures in the reader's language (lazy, translated when shown)."""
from flask_babel import lazy_gettext as _l

from .models import Outcome, Result

OUTCOME_LABELS = {
    Outcome.ORAL: _l("Answered orally at the reception, with the citizen's consent"),
    Outcome.WRITTEN_DUE: _l("A written answer is due"),
    Outcome.REFERRED: _l("Referred to another organisation"),
    Outcome.NOT_SUPPORTED: _l("Not supported or outside our competence"),
}
RESULT_LABELS = {
    Result.SUPPORTED: _l("Supported"),
    Result.NOT_SUPPORTED: _l("Not supported"),
    Result.EXPLAINED: _l("Explained"),
    Result.MEASURES_TAKEN: _l("Measures taken"),
    "open": _l("Not yet closed"),
}
CHANNEL_LABELS = {"web": _l("Online"), "phone": _l("By phone"), "api": _l("Through an API client"),
                  "total": _l("All bookings made")}
VISIT_LABELS = {"held": _l("Visits held"), "no_show": _l("Did not come"), "cancelled": _l("Cancelled"),
                "unmarked": _l("Not marked yet")}
ANSWER_LABELS = {"on_time": _l("Sent on time"), "late": _l("Sent late"), "open": _l("Not sent yet"),
                 "overdue": _l("of them overdue")}
MEDIAN_LABELS = {"booking_to_visit": _l("Median days from booking to visit"),
                 "visit_to_answer": _l("Median days from visit to written answer")}
PLACE_LABELS = {"offered": _l("Places offered (past receptions)"), "unused": _l("Free places left unused")}
