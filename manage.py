#!/usr/bin/env python
import os
import sys

# A database that does not answer, said in one sentence rather than a traceback.
_UNREACHABLE = (
    "could not connect",
    "connection refused",
    "connection timed out",
    "could not translate host name",
    "password authentication failed",
    "does not exist",
    "unable to open database file",
    "no route to host",
)


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        sys.exit(f"Estaleiro is not configured correctly: {exc}")
    except OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if not any(text in str(exc).lower() for text in _UNREACHABLE):
            raise
        sys.exit(f"The database cannot be reached ({first_line}). Check DATABASE_URL and that the server runs.")


if __name__ == "__main__":
    main()
