"""What a test holds of the running platform: its URL and its test-only endpoints."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import requests

from .state import DEFAULT_CONTEXT_ID


class PlatformClient:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    # ---- reading ----
    def state(self) -> dict[str, Any]:
        response = self.http.get(f"{self.url}/_state", timeout=10)
        response.raise_for_status()
        return response.json()

    def scores(self) -> list[dict[str, Any]]:
        """Every score the AGS scores endpoint accepted, in the order received."""
        return self.state()["scores"]

    def lineitems(self) -> list[dict[str, Any]]:
        return self.state()["line_items"]

    def resource_links(self) -> list[dict[str, Any]]:
        return self.state()["resource_links"]

    def user(self, username: str) -> dict[str, Any]:
        return self.state()["users"][username]

    def sub(self, username: str) -> str:
        return self.user(username)["sub"]

    def wait_for_scores(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            scores = self.scores()
            if len(scores) >= count or time.monotonic() > deadline:
                return scores
            time.sleep(0.25)

    # ---- URLs a browser opens ----
    def login_url(self, username: str, next_path: str | None = None) -> str:
        next_path = next_path or self.course_path()
        return f"{self.url}/login-as/{quote(username)}?next={quote(next_path)}"

    def course_path(self, context_id: str = DEFAULT_CONTEXT_ID) -> str:
        return f"/course/{quote(context_id)}/"

    def course_url(self, context_id: str = DEFAULT_CONTEXT_ID) -> str:
        return self.url + self.course_path(context_id)

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth"

    def memberships_url(self, context_id: str = DEFAULT_CONTEXT_ID) -> str:
        return f"{self.url}/api/contexts/{quote(context_id)}/memberships"

    def lineitems_url(self, context_id: str = DEFAULT_CONTEXT_ID) -> str:
        return f"{self.url}/api/contexts/{quote(context_id)}/lineitems"

    # ---- steering ----
    def control(self, **orders: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.url}/_control", json=orders, timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self.control(reset=True)

    def configure_tool(self, **tool: Any) -> None:
        """client_id, deployment_id, login_url, launch_url, jwks_url or jwks (a key set)."""
        self.control(tool=tool)

    def set_down(self, requests_count: int | bool = True) -> None:
        """The grade service (AGS) answers 503 to the next `requests_count` requests (True:
        until lifted)."""
        self.control(ags_down=requests_count)

    def lift(self) -> None:
        self.control(ags_down=0)

    def add_member(self, username: str, role: str = "Learner", **details: Any) -> None:
        self.control(add_member={"username": username, "role": role, **details})

    def remove_member(self, username: str, context_id: str = DEFAULT_CONTEXT_ID) -> None:
        self.control(remove_member={"username": username, "context": context_id})
