"""E-mail to citizens: messages from templates, an outbox in the database, and its delivery.

Every message is first a row of ``outbox_message`` written in the transaction
of the change that causes it (a booking, a move, a cancellation, a due
reminder), so a change is never without its message and a request never
talks to the mail server. :func:`deliver_due` later claims due rows (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL, a ``BEGIN IMMEDIATE`` transaction on
SQLite), sends a batch over one SMTP connection and commits each row as sent
the moment the server has accepted it; failures are retried with exponential
back-off and, after the last attempt, marked failed for staff to see.

The manage token exists in plain form only while the booking is being
created, so only the confirmation carries the private manage link. Later
messages point to a page where the citizen asks for a fresh link by e-mail;
that message carries a signed, single-use renewal link. Calendar invites
never carry a secret (calendars get shared), and sent messages have their
secrets blanked in the outbox.

Nothing here reads the application in context: every function that renders,
queues or delivers takes the application's mailroom first
(:class:`booking.notify.settings.Mailroom`: its live settings, its templates,
its absolute links), handed down by the views, the API and the commands.
"""
