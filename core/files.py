"""Private files (the secret key, the demo passwords), created 0600 from their first byte.

No Django import: config/settings.py uses it before Django is set up."""

import os
import secrets
from pathlib import Path


def private_file_create(path: Path, data: bytes) -> bool:
    """Create `path` holding `data`, readable by its owner only; never replace one that exists.

    The content goes into a temporary name opened with O_CREAT|O_EXCL and mode 0600, so no
    other user can open it at any moment, then is linked to `path`: unlike a rename, a link
    fails when `path` exists, so of several processes starting at once (gunicorn and Celery
    workers) exactly one wins and the others read its file. Returns False if `path` existed."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(temporary)
