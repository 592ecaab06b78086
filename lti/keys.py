"""The tool's signing keys: made at set-up, rotated on demand. Estaleiro signs with its
newest active key; the JWKS publishes every active key, so a platform that cached the old
keyset still verifies what was signed before a rotation. A key is retired (out of the JWKS)
once its successor has been published for `retire_after` — time for every platform to
fetch the new keyset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from lti_tool.models import Key

from .services import tool_key_ensure

RETIRE_AFTER_DAYS = 7


@dataclass
class KeysOutcome:
    created: Key | None
    retired: int
    active: int


def tool_keys_retire(*, retire_after: timedelta) -> int:
    """Retire every active key that a newer active key has replaced for at least `retire_after`."""
    cutoff = timezone.now() - retire_after
    successor = Key.objects.active().filter(datetime_created__lte=cutoff).order_by("-datetime_created").first()
    if successor is None:
        return 0
    return (
        Key.objects.active()
        .filter(datetime_created__lt=successor.datetime_created)
        .exclude(pk=successor.pk)
        .update(is_active=False, datetime_modified=timezone.now())
    )


@transaction.atomic
def tool_keys_setup(
    *, rotate: bool = False, retire_after: timedelta = timedelta(days=RETIRE_AFTER_DAYS)
) -> KeysOutcome:
    """At set-up: a key if there is none, and keys replaced long enough ago retired. With
    `rotate`, a new key first (it signs from now on)."""
    had_key = Key.objects.active().exists()
    created = Key.objects.generate() if rotate else None
    if created is None and not had_key:
        created = tool_key_ensure()
    retired = tool_keys_retire(retire_after=retire_after)
    return KeysOutcome(created=created, retired=retired, active=Key.objects.active().count())
