"""The application with a pause inside the first booking's transaction, for killing a worker mid-request.

``PAUSE_MARKER`` names a file: the first request that is about to commit a
new booking writes its process id there and then waits (the booking row is
written but not committed). Later requests see the file and go through.
"""
import os
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from booking import create_app
from booking.models import Booking

app = create_app()
MARKER = os.environ["PAUSE_MARKER"]


@sa.event.listens_for(Session, "before_commit")
def _pause_before_the_first_booking_commits(session):
    if os.path.exists(MARKER) or not any(isinstance(obj, Booking) for obj in session.identity_map.values()):
        return
    session.flush()
    with open(MARKER, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(120)
