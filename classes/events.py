"""The class log as people read it: each ClassEvent's details (JSON written by the services)
turned into labelled, plain-text lines. Values are text the template escapes; nothing here is
marked safe."""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Class, ClassEvent, Offering, Role

MAX_LISTED = 30  # names shown in one line of a roster import's details; the rest counted

DETAIL_LABELS = {
    "name": gettext_lazy("Name"),
    "term": gettext_lazy("Term"),
    "added": gettext_lazy("Added"),
    "content": gettext_lazy("Quiz or lab"),
    "fields": gettext_lazy("Changed"),
    "values": gettext_lazy("New values"),
    "users": gettext_lazy("People"),
    "user": gettext_lazy("Person"),
    "role": gettext_lazy("Role"),
    "learners": gettext_lazy("Learners"),
    "due_at": gettext_lazy("New due date"),
    "closes_at": gettext_lazy("New close date"),
    "extra_attempts": gettext_lazy("Extra attempts"),
    "time_multiplier": gettext_lazy("Time limit multiplier"),
    "extra_minutes": gettext_lazy("Extra minutes"),
    "reason": gettext_lazy("Reason"),
    "rows": gettext_lazy("Rows"),
    "created": gettext_lazy("New accounts"),
    "enrolled": gettext_lazy("Existing accounts enrolled"),
    "already": gettext_lazy("Already in the class"),
    "demo": gettext_lazy("Demo"),
}
DATETIME_KEYS = {"due_at", "closes_at", "opens_at"}
# Zero or empty says nothing in an extension's details ("extra attempts: 0").
SKIPPED_WHEN_EMPTY = {"extra_attempts", "extra_minutes", "time_multiplier", "reason", "due_at", "closes_at"}


@dataclass
class EventRow:
    event: ClassEvent
    who: str
    what: str
    details: list[tuple[str, str]] = field(default_factory=list)


def _field_label(name: str) -> str:
    for model in (Offering, Class):
        try:
            return str(getattr(model._meta.get_field(name), "verbose_name", name))  # noqa: SLF001 - Django's public model API
        except FieldDoesNotExist:
            continue
    return name


def _text(key: str, value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        shown = [_text(key, v) for v in value[:MAX_LISTED]]
        text = ", ".join(shown)
        if len(value) > MAX_LISTED:
            text += " " + _("and %(count)s more") % {"count": len(value) - MAX_LISTED}
        return text or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_field_label(k)}: {_text(k, v)}" for k, v in value.items())
    if key == "fields":
        return _field_label(str(value))
    if key == "role" and value in Role.values:
        return str(Role(value).label)
    if isinstance(value, str) and (key in DATETIME_KEYS or key.endswith("_at")):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    if isinstance(value, str) and key.endswith("_on"):
        return value
    if isinstance(value, float):
        return formats.number_format(value, decimal_pos=None)
    return str(value)


def event_details(event: ClassEvent) -> list[tuple[str, str]]:
    detail = event.detail if isinstance(event.detail, dict) else {}
    lines = []
    for key, value in detail.items():
        if key in SKIPPED_WHEN_EMPTY and value in (None, "", 0, [], {}):
            continue
        label = str(DETAIL_LABELS.get(key, _field_label(key)))
        lines.append((label, _text(key, value)))
    return lines


def event_rows(events) -> list[EventRow]:
    rows = []
    for event in events:
        actor = event.actor
        who = (actor.get_full_name() or actor.username) if actor is not None else _("the system")
        rows.append(EventRow(event=event, who=who, what=event.get_action_display(), details=event_details(event)))
    return rows
