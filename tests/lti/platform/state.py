"""The platform's memory: its users, courses, the resource links and line items placed in them,
the scores received, and the switches the tests turn (a grade service that is down)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
# The sub-role alone, as some platforms send it: the tool must read it as an assistant, not
# as the Instructor its prefix names.
TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLES = {"Instructor": INSTRUCTOR, "TeachingAssistant": TEACHING_ASSISTANT, "Learner": LEARNER}

DEFAULT_CONTEXT_ID = "docker-101"


@dataclass
class User:
    username: str
    name: str
    given_name: str
    family_name: str
    email: str
    role: str  # the role URI this user has in every course they belong to
    # Opaque and different on every run, as a platform's user ids are to a tool: the tool
    # must key people by it, never by a name.
    sub: str = field(default_factory=lambda: f"user-{uuid.uuid4().hex[:12]}")

    @property
    def is_instructor(self) -> bool:
        return self.role == INSTRUCTOR

    def member(self, status: str = "Active") -> dict[str, Any]:
        """This user as an NRPS member entry."""
        return {
            "user_id": self.sub,
            "roles": [self.role],
            "status": status,
            "name": self.name,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "email": self.email,
        }


@dataclass
class Context:
    id: str
    title: str
    label: str
    members: list[str]  # usernames


@dataclass
class LineItem:
    id: str
    context_id: str
    label: str
    score_maximum: float
    resource_id: str = ""
    tag: str = ""
    resource_link_id: str = ""

    def as_json(self, base_url: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": line_item_url(base_url, self.context_id, self.id),
            "label": self.label,
            "scoreMaximum": self.score_maximum,
        }
        for key, value in (
            ("resourceId", self.resource_id),
            ("tag", self.tag),
            ("resourceLinkId", self.resource_link_id),
        ):
            if value:
                data[key] = value
        return data


@dataclass
class ResourceLink:
    id: str
    context_id: str
    title: str
    url: str
    custom: dict[str, str]
    line_item_id: str | None = None


@dataclass
class Tool:
    """What the platform knows of the one tool registered with it."""

    client_id: str = ""
    deployment_id: str = ""
    login_url: str = ""  # OIDC third-party login initiation
    launch_url: str = ""  # the only redirect URI registered for it
    jwks_url: str = ""
    jwks: dict[str, Any] | None = None  # a key set given inline instead of a URL (harness tests)


def line_items_url(base_url: str, context_id: str) -> str:
    return f"{base_url}/api/contexts/{context_id}/lineitems"


def line_item_url(base_url: str, context_id: str, line_item_id: str) -> str:
    return f"{line_items_url(base_url, context_id)}/{line_item_id}"


def memberships_url(base_url: str, context_id: str) -> str:
    return f"{base_url}/api/contexts/{context_id}/memberships"


def fixed_roster() -> dict[str, User]:
    users = [
        User("prof", "Paula Professora", "Paula", "Professora", "prof@lms.example", INSTRUCTOR),
        User("monitor", "Mateus Monitor", "Mateus", "Monitor", "monitor@lms.example", TEACHING_ASSISTANT),
        User("ana", "Ana Aluna", "Ana", "Aluna", "ana@lms.example", LEARNER),
        User("bruno", "Bruno Aluno", "Bruno", "Aluno", "bruno@lms.example", LEARNER),
    ]
    return {user.username: user for user in users}


class PlatformState:
    """Everything the platform holds, behind one lock (the server answers on many threads)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.base_url = ""  # the issuer: set once the server knows its port
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tool = Tool()
            self.users = fixed_roster()
            self.contexts = {
                DEFAULT_CONTEXT_ID: Context(
                    DEFAULT_CONTEXT_ID, "Containerização com Docker — Turma A", "DOCKER-A", list(self.users)
                )
            }
            self.resource_links: dict[str, ResourceLink] = {}
            self.line_items: dict[str, LineItem] = {}
            self.scores: list[dict[str, Any]] = []
            # Deep-linking requests in flight: the opaque `data` sent to the tool -> (context, user).
            self.deep_link_requests: dict[str, tuple[str, str]] = {}
            self.used_nonces: set[str] = set()
            self.token_requests = 0
            # AGS answers 503 to the next `ags_down` requests; -1: until lifted.
            self.ags_down = 0
            self.ags_refused = 0
            self.counter = 0

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self.counter += 1
            return f"{prefix}-{self.counter}"

    def user_by_sub(self, sub: str) -> User | None:
        return next((user for user in self.users.values() if user.sub == sub), None)

    def take_ags_outage(self) -> bool:
        """True if this AGS request is to be refused as if the service were down."""
        with self.lock:
            if self.ags_down == 0:
                return False
            if self.ags_down > 0:
                self.ags_down -= 1
            self.ags_refused += 1
            return True

    def add_line_item(self, context_id: str, data: dict[str, Any], resource_link_id: str = "") -> LineItem:
        score_maximum = data.get("scoreMaximum")
        if not isinstance(score_maximum, int | float) or isinstance(score_maximum, bool) or score_maximum <= 0:
            raise ValueError("scoreMaximum must be a positive number")
        label = data.get("label")
        if not isinstance(label, str) or not label.strip():
            raise ValueError("label is required")
        with self.lock:
            item = LineItem(
                id=self.next_id("li"),
                context_id=context_id,
                label=label,
                score_maximum=float(score_maximum),
                resource_id=str(data.get("resourceId") or ""),
                tag=str(data.get("tag") or ""),
                resource_link_id=str(data.get("resourceLinkId") or resource_link_id),
            )
            self.line_items[item.id] = item
            return item

    def snapshot(self, base_url: str) -> dict[str, Any]:
        with self.lock:
            return {
                "issuer": base_url,
                "tool": asdict(self.tool),
                "users": {name: {**asdict(user), "roles": [user.role]} for name, user in self.users.items()},
                "contexts": {cid: asdict(context) for cid, context in self.contexts.items()},
                "resource_links": [
                    {
                        **asdict(link),
                        "line_item_url": line_item_url(base_url, link.context_id, link.line_item_id)
                        if link.line_item_id
                        else None,
                    }
                    for link in self.resource_links.values()
                ],
                "line_items": [item.as_json(base_url) for item in self.line_items.values()],
                "scores": list(self.scores),
                "token_requests": self.token_requests,
                "ags_down": self.ags_down,
                "ags_refused": self.ags_refused,
            }


STATE = PlatformState()
