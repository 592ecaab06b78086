"""Enrolling a class from a roster CSV: all rows or none. The file is read by classes.roster;
here each row meets the site's accounts (an existing one by user name, else by an e-mail only
it has), new accounts are made without a password, and each new learner gets a link to set
one (shown to the teacher, and e-mailed when the site sends mail)."""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import get_connection, send_mail
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from config.celery import app as celery_app
from core.mail import mail_configured

from .models import Class, ClassEvent, Membership, Role
from .permissions import forget_roles
from .roster import MAX_BYTES, MAX_ROWS, RosterProblem, RosterRow, parse_roster
from .services import class_event_log, class_writable

log = logging.getLogger(__name__)

ROSTER_INVITATIONS_TASK = "classes.roster_invitations_send"


class RosterRejected(Exception):
    """The file was not imported: every problem found, each with its line."""

    def __init__(self, problems: list[RosterProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems, key=lambda p: p.line)


@dataclass
class RosterResult:
    created: list[User] = field(default_factory=list)  # new accounts, each without a password yet
    enrolled: list[User] = field(default_factory=list)  # existing accounts now in the class
    already: list[User] = field(default_factory=list)  # in the class before (their role kept)
    emailed: int = 0  # new accounts whose link is being e-mailed


@dataclass
class _Plan:
    row: RosterRow
    user: User | None  # None: a new account
    username: str


def set_password_path(user: User) -> str:
    """The path of Django's set-password page for the user, with a token that holds until the
    password is set (or PASSWORD_RESET_TIMEOUT passes)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def link_valid_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def may_get_password_link(user: User) -> bool:
    """A teacher may hand out a set-password link only for an account nobody has used yet (made
    by a roster import, no password, never logged in): never a way into a used account."""
    return not user.has_usable_password() and user.last_login is None and user.is_active and not user.is_staff


def roster_import(
    *, klass: Class, data: bytes, actor: User | None, base_url: str = "", max_rows: int = MAX_ROWS
) -> RosterResult:
    """Enrol every person of the file as a learner, creating the accounts that do not exist;
    or, when any row has a problem, raise RosterRejected with all of them and change nothing."""
    class_writable(klass)
    parsed = parse_roster(data, max_rows=max_rows, max_bytes=MAX_BYTES)
    # The rows the file itself got right are checked against the accounts too, so the teacher
    # reads every problem of the file in one answer.
    plans, problems = _plan(parsed.rows)
    if parsed.problems or problems:
        raise RosterRejected(parsed.problems + problems)
    try:
        with transaction.atomic():
            result = _apply(klass, plans, actor)
    except IntegrityError as exc:
        # An account made or changed by someone else while this file was read: nothing was kept.
        raise RosterRejected(
            [RosterProblem(0, _("Accounts changed while the file was imported; nothing was imported. Try again."))]
        ) from exc
    if mail_configured() and base_url:
        with_email = [user.pk for user in result.created if user.email]
        if with_email:
            result.emailed = len(with_email)
            lang = translation.get_language() or settings.LANGUAGE_CODE
            task = celery_app.tasks[ROSTER_INVITATIONS_TASK]
            transaction.on_commit(lambda: task.apply_async((klass.pk, with_email, base_url, lang)))
    return result


def _plan(rows: list[RosterRow]) -> tuple[list[_Plan], list[RosterProblem]]:
    """What each row will do, decided against the accounts as they are: the problems the file
    alone could not show (a user name taken by someone else's e-mail, an e-mail two accounts
    share, two rows that are one account)."""
    usernames = {row.username.lower() for row in rows if row.username} | {
        row.email for row in rows if row.email and not row.username
    }
    emails = {row.email for row in rows if row.email}
    by_username: dict[str, dict[int, User]] = {}
    by_email: dict[str, dict[int, User]] = {}
    # A few queries for the whole file, not one per row (a roster has up to MAX_ROWS of them);
    # compared without case, as people type them.
    lowered = User.objects.annotate(username_lower=Lower("username"), email_lower=Lower("email"))
    for chunk in _chunks(sorted(usernames), 500):
        for user in lowered.filter(username_lower__in=chunk):
            by_username.setdefault(user.username.lower(), {})[user.pk] = user
    for chunk in _chunks(sorted(emails), 500):
        for user in lowered.filter(email_lower__in=chunk):
            by_email.setdefault(user.email.lower(), {})[user.pk] = user

    plans, problems = [], []
    lines_of_user: dict[int, int] = {}
    lines_of_new: dict[str, int] = {}
    for row in rows:
        plan, problem = _plan_row(row, by_username, by_email)
        if plan is not None and plan.user is not None:
            if plan.user.pk in lines_of_user:
                problem = _("This is the same account as line %(line)s.") % {"line": lines_of_user[plan.user.pk]}
            lines_of_user.setdefault(plan.user.pk, row.line)
        elif plan is not None:
            key = plan.username.lower()
            if key in lines_of_new:
                problem = _("The new account's user name %(username)s is also on line %(line)s.") % {
                    "username": plan.username,
                    "line": lines_of_new[key],
                }
            lines_of_new.setdefault(key, row.line)
        if problem:
            problems.append(RosterProblem(row.line, problem))
        elif plan is not None:
            plans.append(plan)
    return plans, problems


def _chunks(values: list[str], size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _plan_row(
    row: RosterRow, by_username: dict[str, dict[int, User]], by_email: dict[str, dict[int, User]]
) -> tuple[_Plan | None, str]:
    if row.username:
        named = list(by_username.get(row.username.lower(), {}).values())
        exact = [u for u in named if u.username == row.username] or named
        if len(exact) > 1:
            return None, _(
                "More than one account has the user name %(username)s in another case; write it exactly."
            ) % {"username": row.username}
        if exact:
            user = exact[0]
            if row.email and user.email and user.email.lower() != row.email:
                return None, _(
                    "The user name %(username)s belongs to an account with another e-mail. "
                    "Check the user name, or leave it empty to find the account by e-mail."
                ) % {"username": row.username}
            return _Plan(row, user, user.username), ""
        owners = list(by_email.get(row.email, {}).values()) if row.email else []
        if owners:
            return None, _(
                "The e-mail %(email)s already belongs to the account %(username)s. Use that user name, "
                "or leave the user name empty."
            ) % {"email": row.email, "username": owners[0].username if len(owners) == 1 else "…"}
        return _Plan(row, None, row.username), ""
    owners = list(by_email.get(row.email, {}).values())
    if len(owners) > 1:
        return None, _("%(count)s accounts have the e-mail %(email)s: give the user name of the right one.") % {
            "count": len(owners),
            "email": row.email,
        }
    if owners:
        return _Plan(row, owners[0], owners[0].username), ""
    # A new account named by its e-mail: what its owner knows best.
    if row.email.lower() in by_username:
        return None, _(
            "A new account would take the e-mail %(email)s as its user name, but another account has that "
            "user name. Give a user name for this person."
        ) % {"email": row.email}
    return _Plan(row, None, row.email), ""


def _apply(klass: Class, plans: list[_Plan], actor: User | None) -> RosterResult:
    result = RosterResult()
    members = dict(Membership.objects.filter(klass=klass).values_list("user_id", "role"))
    new_memberships = []
    for plan in plans:
        user = plan.user
        if user is None:
            user = User(username=plan.username, first_name=plan.row.name, email=plan.row.email)
            user.set_unusable_password()
            user.save()
            result.created.append(user)
        elif user.pk in members:
            result.already.append(user)
            continue
        else:
            result.enrolled.append(user)
        members[user.pk] = Role.LEARNER
        new_memberships.append(Membership(klass=klass, user=user, role=Role.LEARNER))
    # Someone who joins by the code meanwhile is already a learner: their row changes nothing.
    Membership.objects.bulk_create(new_memberships, ignore_conflicts=True)
    for user in result.created + result.enrolled:
        forget_roles(user)
    class_event_log(
        klass=klass,
        actor=actor,
        action=ClassEvent.Action.ROSTER,
        detail={
            "rows": len(plans),
            "created": [u.username for u in result.created],
            "enrolled": [u.username for u in result.enrolled],
            "already": [u.username for u in result.already],
        },
    )
    return result


def roster_invitations_send(*, klass_id: int, user_ids: list[int], base_url: str, lang: str) -> int:
    """E-mail each new account of a roster import its set-password link (made now, so it is
    fresh). Accounts that meanwhile set a password or logged in are left alone. How many sent."""
    klass = Class.objects.filter(pk=klass_id).first()
    if klass is None or not mail_configured():
        return 0
    sent = 0
    with translation.override(lang), get_connection() as connection:
        for user in User.objects.filter(pk__in=user_ids).exclude(email=""):
            if not may_get_password_link(user):
                continue
            context = {
                "user": user,
                "klass": klass,
                "link": base_url.rstrip("/") + set_password_path(user),
                "days": link_valid_days(),
            }
            subject = " ".join(render_to_string("classes/email/invitation_subject.txt", context).split())
            body = render_to_string("classes/email/invitation_body.txt", context)
            try:
                sent += send_mail(subject, body, None, [user.email], connection=connection)
            except Exception:  # smtplib and socket errors alike: the teacher still has the link
                log.exception("roster invitation to user %s could not be sent", user.pk)
    return sent
