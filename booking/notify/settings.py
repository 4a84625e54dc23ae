"""What sending a message needs of the application: its settings, its templates and its public address.

A :class:`Mailroom` is built once per application by ``create_app`` (from the
``app`` it is handed, never from ``current_app``) and kept in
``app.extensions``. Views, the API and commands take it from there
(``web.helpers.mailroom()``) and hand it down: the operations that cause a
message pass it on, and every function of ``notify/`` that renders, queues or
delivers takes it as its first argument. So nothing under ``notify/`` reads
the application in context, and a message is composed the same way in a
request, a command or a test.

Every absolute URL Priyom hands out (in e-mails, SMS, calendar files and
feeds, on pages that show a link to copy) comes from :meth:`Mailroom.url`,
built on ``PUBLIC_BASE_URL``, never on the request's ``Host`` header, which
the sender of the request chooses. ``config.settle_public_base_url`` makes
sure the base is set before the application starts.
"""
from dataclasses import dataclass
from urllib.parse import urlsplit

EXTENSION = "priyom.mailroom"


@dataclass(frozen=True, eq=False)
class Mailroom:
    """The application's settings (live), its template environment and its URL map, for sending."""

    # The application's own configuration, not a copy: a setting changed after
    # create_app (as tests and the demonstration do) is what the next message uses.
    config: object
    templates: object  # the application's Jinja environment
    url_map: object  # the application's routes, to build links outside any request

    @classmethod
    def from_app(cls, app):
        """The mailroom of ``app`` (an application object, passed in explicitly)."""
        return cls(config=app.config, templates=app.jinja_env, url_map=app.url_map)

    def render(self, name, context):
        """Template ``name`` rendered with ``context`` only."""
        # Straight from the environment: the site's context processors need a request, messages have none.
        return self.templates.get_template(name).render(context)

    def url(self, endpoint, **values):
        """The absolute URL of ``endpoint`` under ``PUBLIC_BASE_URL``, inside or outside a request."""
        parts = urlsplit(self.config["PUBLIC_BASE_URL"])
        adapter = self.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
        return adapter.build(endpoint, values, force_external=True)


def install(app):
    """Build ``app``'s mailroom once, keep it in ``app.extensions``, and return it."""
    mailroom = app.extensions[EXTENSION] = Mailroom.from_app(app)
    return mailroom


def mailroom_of(app):
    """The mailroom ``create_app`` built for ``app``."""
    return app.extensions[EXTENSION]
