import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from .roles import instructors_group


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str


DEMO_USERNAMES = {"instructor": "instrutora", "learner": "aprendiz"}


def _demo_passwords(path: Path) -> dict[str, str]:
    """Random passwords made once per installation and kept in var/ (mode 600)."""
    if path.exists():
        stored = json.loads(path.read_text())
        if set(stored) == set(DEMO_USERNAMES):
            return stored
    passwords = {role: secrets.token_urlsafe(9) for role in DEMO_USERNAMES}
    path.write_text(json.dumps(passwords))
    path.chmod(0o600)
    return passwords


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create (or reset) the demo instructor and learner; safe to run on every start."""
    passwords = _demo_passwords(settings.VAR_DIR / "demo_accounts.json")
    accounts = []
    for role, username in DEMO_USERNAMES.items():
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(passwords[role])
        user.first_name = "Instrutora Demo" if role == "instructor" else "Aprendiz Demo"
        user.is_staff = role == "instructor"
        user.is_active = True
        user.save()
        if role == "instructor":
            user.groups.add(instructors_group())
        accounts.append(DemoAccount(role=role, username=username, password=passwords[role]))
    return accounts


@transaction.atomic
def user_signup(*, username: str, password: str, first_name: str, email: str = "") -> User:
    return User.objects.create_user(
        username=username, password=password, first_name=first_name, email=email
    )


def worker_ping(*, timeout: float = 10.0) -> dict:
    """Send core.ping through the broker and wait for a worker's answer."""
    from .tasks import ping

    sent = time.time()
    result = ping.delay(sent)
    try:
        answer = result.get(timeout=timeout)
    finally:
        result.forget()
    answer["roundtrip_ms"] = round((time.time() - sent) * 1000, 1)
    return answer
