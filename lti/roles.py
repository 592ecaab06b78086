"""The LMS's roles (LTI 1.3 roles claim) as an Estaleiro class role."""

from __future__ import annotations

from collections.abc import Iterable

from classes.models import Role

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"


def context_roles(claims: Iterable[str]) -> set[str]:
    """The context (course) roles in a roles claim, as short names; a sub-role counts as
    itself (`Instructor#TeachingAssistant` → `TeachingAssistant`). Institution and system
    roles say nothing about the course and are left out."""
    found: set[str] = set()
    for claim in claims:
        if not isinstance(claim, str):
            continue
        if claim.startswith(MEMBERSHIP + "#"):
            found.add(claim.split("#", 1)[1])
        elif claim.startswith(MEMBERSHIP + "/") and "#" in claim:
            found.add(claim.rsplit("#", 1)[1])
        elif claim and "/" not in claim and "#" not in claim and ":" not in claim:
            found.add(claim)  # LTI 1.3 allows the short names of context roles
    return found


def class_role(claims: Iterable[str]) -> str | None:
    """Teaching assistant → assistant; instructor, course administrator or content
    developer → teacher; learner → learner; anything else (a mentor, a guest) → None."""
    roles = context_roles(claims)
    if "TeachingAssistant" in roles:
        return Role.ASSISTANT
    if roles & {"Instructor", "Administrator", "ContentDeveloper"}:
        return Role.TEACHER
    if "Learner" in roles:
        return Role.LEARNER
    return None
