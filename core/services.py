import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from classes.models import Class
from classes.services import DEMO_CLASS_NAME, DEMO_CLASS_TERM, demo_class_ensure

from .files import private_file_create
from .roles import instructors_group
from .tasks import ping


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str  # empty once it no longer opens the account
    note: str = ""


# The demo class's people: its teacher, a teaching assistant and a learner.
DEMO_USERNAMES = {"teacher": "instrutora", "assistant": "monitora", "learner": "aprendiz"}
DEMO_NAMES = {"teacher": "Instrutora Demo", "assistant": "Monitora Demo", "learner": "Aprendiz Demo"}
# Written as "instructor" by installations older than classes: the same account.
_OLD_ROLE_NAMES = {"instructor": "teacher"}


def _stored_demo_passwords(path: Path) -> dict[str, str] | None:
    try:
        stored = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(stored, dict):
        return None
    stored = {_OLD_ROLE_NAMES.get(role, role): password for role, password in stored.items()}
    return stored if set(stored) <= set(DEMO_USERNAMES) else None


def _demo_user_create(role: str, password: str) -> User | None:
    username = DEMO_USERNAMES[role]
    if User.objects.filter(username=username).exists():
        return None  # someone already has the name: left alone
    user = User.objects.create_user(
        username=username, password=password, first_name=DEMO_NAMES[role], is_staff=role == "teacher"
    )
    if role == "teacher":
        user.groups.add(instructors_group())
    return user


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create the demo instructor and learner once per installation; report them on every start.

    The passwords file (var/, 0600) records that they were made: once it exists, an account
    is never created, re-enabled, promoted or given its password back, whatever an admin did
    to it since (changed, disabled, deleted). A user who already had a demo name is left alone."""
    path = settings.VAR_DIR / "demo_accounts.json"
    if not path.exists():
        passwords = {role: secrets.token_urlsafe(9) for role in DEMO_USERNAMES}
        created = {role: _demo_user_create(role, passwords[role]) for role in DEMO_USERNAMES}
        demo_class_ensure(people={role: user for role, user in created.items() if user is not None})
        # Written last, inside the transaction: should another start have written it first,
        # this one's accounts are rolled back rather than left with passwords nobody knows.
        if not private_file_create(path, json.dumps(passwords).encode()):
            raise RuntimeError(f"{path} appeared while the demo accounts were being created; run again.")
    elif Class.objects.filter(name=DEMO_CLASS_NAME, term=DEMO_CLASS_TERM).exists():
        demo_class_ensure(people={})  # content loaded since is offered in it too
    # An installation whose demo accounts predate classes has them in the class its upgrade
    # made ("Turma principal"): no empty demo class is made beside it.
    stored = _stored_demo_passwords(path)
    return [
        _demo_account_state(role, username, (stored or {}).get(role, ""), made=stored is None or role in stored)
        for role, username in DEMO_USERNAMES.items()
    ]


def _demo_account_state(role: str, username: str, password: str, made: bool = True) -> DemoAccount:
    user = User.objects.filter(username=username).first()
    if user is None and not made:
        # An installation whose demo accounts were made before this role existed.
        return DemoAccount(role, username, "", "never made: this installation's demo accounts predate it")
    if user is None:
        return DemoAccount(role, username, "", "deleted by an administrator; not created again")
    if not user.is_active:
        return DemoAccount(role, username, "", "disabled by an administrator")
    if not password:
        return DemoAccount(
            role, username, "", f"password unknown: {settings.VAR_DIR / 'demo_accounts.json'} is unreadable"
        )
    if not user.check_password(password):
        return DemoAccount(role, username, "", "password changed since it was created")
    return DemoAccount(role, username, password)


@transaction.atomic
def user_signup(*, username: str, password: str, first_name: str, email: str = "") -> User:
    return User.objects.create_user(username=username, password=password, first_name=first_name, email=email)


def worker_ping(*, timeout: float = 10.0) -> dict:
    """Send core.ping through the broker and wait for a worker's answer."""
    sent = time.time()
    result = ping.delay(sent)
    try:
        answer = result.get(timeout=timeout)
    finally:
        result.forget()
    answer["roundtrip_ms"] = round((time.time() - sent) * 1000, 1)
    return answer
