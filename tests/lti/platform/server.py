"""Run the test platform: `python -m tests.lti.platform.server [--port P]`.

A Django project configured in code (no database: the state is in memory, the session in a
signed cookie), served by wsgiref on 127.0.0.1 with a thread per request (the tool calls the
token and grade endpoints while a launch is being answered). It prints one line,
`PLATFORM_URL http://127.0.0.1:PORT`, once it listens; port 0 picks a free one.

URLs (see urls.py): / (who to sign in as), /login-as/<user>?next=, /course/<context>/ (the
course page: resource links, an iframe, "Add activity"), /launch/<link>/?target=iframe|window,
/auth (OIDC), /token, /.well-known/jwks.json, /api/contexts/<context>/lineitems[/<id>[/scores|
/results]], /api/contexts/<context>/memberships, and the test-only /_health, /_state, /_control.
"""

from __future__ import annotations

import argparse
import secrets
import socketserver
import sys
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HERE = Path(__file__).resolve().parent


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)


def configure(url: str) -> None:
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF="tests.lti.platform.urls",
        INSTALLED_APPS=[],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        # Its own name: the tool's cookies live on another host (localhost), but a name of
        # their own keeps a reader of the browser's cookies from confusing the two.
        SESSION_COOKIE_NAME="platform_session",
        # The tool sends the browser back here from inside the course page's frame (the OIDC
        # auth request): a request its cross-site initiator keeps a Lax cookie from. Moodle's
        # answer, and this one: SameSite=None, which needs Secure (browsers take it on loopback).
        SESSION_COOKIE_SAMESITE="None",
        SESSION_COOKIE_SECURE=True,
        SESSION_SERIALIZER="django.contrib.sessions.serializers.JSONSerializer",
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [HERE / "templates"],
                "OPTIONS": {"autoescape": True},
            }
        ],
        USE_I18N=False,
        USE_TZ=True,
        DEFAULT_CHARSET="utf-8",
        LOGGING_CONFIG=None,
    )
    import django

    from .state import STATE

    STATE.base_url = url
    django.setup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    # Bind first, so the URL (with the port picked) is known before Django is configured.
    server = make_server(
        "127.0.0.1", args.port, lambda environ, start: [], server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    server.verbose = args.verbose  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{server.server_port}"
    configure(url)
    from django.core.wsgi import get_wsgi_application

    server.set_app(get_wsgi_application())
    print(f"PLATFORM_URL {url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
