"""A learner's terms in one offering: the dates, attempts and time that apply to them, with
their extension. Every deadline check reads these (attempt start, autosave, submit, the
periodic finishing of overdue attempts, a lab submission and its late penalty), so an
extension is honoured everywhere or nowhere."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from .models import Extension, Offering

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Lateness:
    """How late a piece of work was and what it costs: `days` started days after the due
    date, `penalty` the share of the score taken (0 to 1)."""

    seconds: int
    days: int
    penalty: float

    @property
    def is_late(self) -> bool:
        return self.seconds > 0


ON_TIME = Lateness(seconds=0, days=0, penalty=0.0)


@dataclass(frozen=True)
class LearnerTerms:
    offering: Offering
    extension: Extension | None
    opens_at: datetime | None
    due_at: datetime | None
    closes_at: datetime | None
    attempts_allowed: int  # 0: unlimited
    time_limit: timedelta | None

    @property
    def extended(self) -> bool:
        return self.extension is not None

    def has_opened(self, now: datetime | None = None) -> bool:
        return self.opens_at is None or (now or timezone.now()) >= self.opens_at

    def has_closed(self, now: datetime | None = None) -> bool:
        return self.closes_at is not None and (now or timezone.now()) >= self.closes_at

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.has_opened(now) and not self.has_closed(now)

    def lateness(self, moment: datetime) -> Lateness:
        """For a lab: how late work sent at `moment` is, and its penalty under the offering's
        policy (a started day counts as a day)."""
        if self.due_at is None or moment <= self.due_at:
            return ON_TIME
        seconds = math.ceil((moment - self.due_at).total_seconds())
        days = math.ceil(seconds / DAY.total_seconds())
        penalty = 0.0
        if self.offering.late_policy == Offering.LatePolicy.PENALTY:
            penalty = min(1.0, days * self.offering.late_penalty_percent / 100)
        return Lateness(seconds=seconds, days=days, penalty=round(penalty, 6))

    def accepts_work(self, moment: datetime) -> bool:
        """For a lab: may work be sent at `moment`? Not before it opens, not after its close,
        and not after the due date when late work is refused."""
        if not self.has_opened(moment) or self.has_closed(moment):
            return False
        late = self.due_at is not None and moment > self.due_at
        return not (late and self.offering.late_policy == Offering.LatePolicy.REFUSE)


def _time_limit(offering: Offering, extension: Extension | None) -> timedelta | None:
    if not offering.time_limit_minutes:
        return None
    minutes = float(offering.time_limit_minutes)
    if extension is not None:
        minutes = minutes * (extension.time_multiplier or 1) + extension.extra_minutes
    return timedelta(minutes=minutes)


def terms_with(*, offering: Offering, extension: Extension | None) -> LearnerTerms:
    """The terms an offering and (optionally) an extension make; learner_terms reads the
    extension, pages that list many learners pass theirs."""
    ext = extension
    attempts = offering.attempts_allowed
    if attempts and ext is not None:
        attempts += ext.extra_attempts
    # An extension's dates replace the offering's for that learner (as a Moodle override
    # does); a due date moved past the close moves the close with it, or the new due date
    # would be one nobody could meet.
    due_at = (ext.due_at if ext is not None else None) or offering.due_at
    closes_at = (ext.closes_at if ext is not None else None) or offering.closes_at
    if closes_at is not None and due_at is not None and due_at > closes_at:
        closes_at = due_at
    return LearnerTerms(
        offering=offering,
        extension=ext,
        opens_at=offering.opens_at,
        due_at=due_at,
        closes_at=closes_at,
        attempts_allowed=attempts,
        time_limit=_time_limit(offering, ext),
    )


def learner_terms(*, offering: Offering, learner_id: int) -> LearnerTerms:
    # One row by its unique key: no ordering (the model's joins three tables to sort one row).
    extension = Extension.objects.filter(offering=offering, learner_id=learner_id).order_by().first()
    return terms_with(offering=offering, extension=extension)


def closes_at_expression(offering_field: str = "offering", learner_field: str = "learner"):
    """The close date as learner_terms has it, as a database expression over rows that name an
    offering and a learner (attempts): for queries that must decide in the database which
    attempts are past their time."""
    extension = Extension.objects.filter(offering=OuterRef(offering_field), learner=OuterRef(learner_field)).order_by()
    closes = Coalesce(Subquery(extension.values("closes_at")[:1]), F(f"{offering_field}__closes_at"))
    due = Coalesce(Subquery(extension.values("due_at")[:1]), F(f"{offering_field}__due_at"))
    # As terms_with: a due date past the close moves the close (NULL compares false: no move).
    return Case(When(GreaterThan(due, closes), then=due), default=closes)
