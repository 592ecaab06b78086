import hashlib
from pathlib import Path

import yaml
from django.db import transaction

from .models import Lab


class ContentError(ValueError):
    """A content file is unusable; the message names the file and what is wrong."""


@transaction.atomic
def lab_sync_from_dir(*, lab_dir: Path, position: int = 0) -> tuple[Lab, bool]:
    """Create or update the Lab row for content/labs/<slug>/ (metadata only)."""
    spec_path = lab_dir / "lab.yaml"
    raw = spec_path.read_bytes()
    try:
        spec = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ContentError(f"{spec_path}: invalid YAML: {exc}") from exc
    if not isinstance(spec, dict) or not str(spec.get("title", "")).strip():
        raise ContentError(f"{spec_path}: expected a mapping with a 'title'")
    lab, created = Lab.objects.update_or_create(
        slug=lab_dir.name,
        defaults={
            "title": str(spec["title"]).strip(),
            "summary": str(spec.get("summary", "")).strip(),
            "spec_hash": hashlib.sha256(raw).hexdigest(),
            "position": int(spec.get("position", position)),
        },
    )
    return lab, created
