from pathlib import Path

import yaml
from django.db import transaction

from labs.services import ContentError

from .models import Quiz


@transaction.atomic
def quiz_sync_from_yaml(*, path: Path, position: int = 0) -> tuple[Quiz, bool]:
    """Create or update a Quiz from the project's own YAML (its metadata)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: unreadable: {exc}") from exc
    if not isinstance(data, dict) or not str(data.get("title", "")).strip():
        raise ContentError(f"{path}: expected a mapping with a 'title'")
    return Quiz.objects.update_or_create(
        slug=str(data.get("slug") or path.stem),
        defaults={
            "title": str(data["title"]).strip(),
            "description": str(data.get("description", "")).strip(),
            "position": int(data.get("position", position)),
        },
    )
