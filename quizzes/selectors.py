"""Reads for quizzes: progress, attempts in display order, what may be revealed, statistics."""

from dataclasses import dataclass

from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from core.roles import is_instructor

from .models import Answer, Attempt, Choice, Question, Quiz


@dataclass(frozen=True)
class QuizProgress:
    quiz: Quiz
    attempts: int
    in_progress: bool
    final_percent: float | None
    pending_review: bool


def final_percent(*, quiz: Quiz, attempts: list[Attempt]) -> float | None:
    """The quiz grade (0-100) from submitted attempts, per the quiz's grading method."""
    done = [a for a in attempts if a.status == Attempt.Status.SUBMITTED and a.percent is not None]
    if not done:
        return None
    done.sort(key=lambda a: a.number)
    if quiz.grading_method == Quiz.GradingMethod.LAST:
        return done[-1].percent
    if quiz.grading_method == Quiz.GradingMethod.AVERAGE:
        return sum(a.percent for a in done) / len(done)
    return max(a.percent for a in done)


def quizzes_for_home(*, user) -> list[QuizProgress]:
    quizzes = list(Quiz.objects.filter(is_published=True))
    by_quiz: dict[int, list[Attempt]] = {}
    if user.is_authenticated:
        for attempt in Attempt.objects.filter(learner=user, quiz__in=quizzes):
            by_quiz.setdefault(attempt.quiz_id, []).append(attempt)
    return [
        QuizProgress(
            quiz=quiz,
            attempts=len(by_quiz.get(quiz.pk, [])),
            in_progress=any(a.status == Attempt.Status.IN_PROGRESS for a in by_quiz.get(quiz.pk, [])),
            final_percent=final_percent(quiz=quiz, attempts=by_quiz.get(quiz.pk, [])),
            pending_review=any(a.pending_review for a in by_quiz.get(quiz.pk, [])),
        )
        for quiz in quizzes
    ]


def quiz_get(*, slug: str, user) -> Quiz:
    quiz = Quiz.objects.filter(slug=slug).first()
    if quiz is None or (not quiz.is_published and not is_instructor(user)):
        raise Http404
    return quiz


def learner_attempts(*, quiz: Quiz, user) -> list[Attempt]:
    return list(Attempt.objects.filter(quiz=quiz, learner=user).order_by("number"))


def attempt_for_viewer(*, attempt_id: int, user) -> Attempt:
    """The learner's own attempt, or any attempt for an instructor; 404 for everyone else."""
    attempt = Attempt.objects.select_related("quiz", "learner").filter(pk=attempt_id).first()
    if attempt is None or (attempt.learner_id != user.pk and not is_instructor(user)):
        raise Http404
    return attempt


@dataclass
class QuestionView:
    number: int
    question: Question
    choices: list[Choice]
    answer: Answer | None
    selected_ids: set

    @property
    def answered(self) -> bool:
        if self.answer is None:
            return False
        return bool(self.selected_ids) if self.question.kind in ("single", "multiple") else bool(self.answer.text.strip())


def attempt_questions(*, attempt: Attempt) -> list[QuestionView]:
    """The attempt's questions and choices in the order fixed when it started, with answers."""
    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_order).prefetch_related("choices")}
    answers = {a.question_id: a for a in Answer.objects.filter(attempt=attempt).select_related("review").prefetch_related("selected", "review__levels__criterion")}
    views = []
    for number, question_id in enumerate((qid for qid in attempt.question_order if qid in questions), start=1):
        question = questions[question_id]
        by_id = {c.pk: c for c in question.choices.all()}
        order = attempt.choice_order.get(str(question_id), list(by_id))
        choices = [by_id[cid] for cid in order if cid in by_id] + [c for cid, c in by_id.items() if cid not in order]
        answer = answers.get(question_id)
        selected = {c.pk for c in answer.selected.all()} if answer else set()
        views.append(QuestionView(number=number, question=question, choices=choices, answer=answer, selected_ids=selected))
    return views


def attempt_progress(*, attempt: Attempt) -> tuple[int, int]:
    """(answered, total) as attempt_questions would count them, in two small queries: the
    autosave answers with this on every click and needs nothing else of the page."""
    total = Question.objects.filter(pk__in=attempt.question_order).count()
    rows = (Answer.objects.filter(attempt=attempt, question_id__in=attempt.question_order)
            .annotate(picked=Count("selected")).values_list("question__kind", "text", "picked"))
    answered = sum(bool(picked) if kind in ("single", "multiple") else bool(text.strip()) for kind, text, picked in rows)
    return answered, total


def can_reveal(*, attempt: Attempt, now=None) -> bool:
    """May this learner see the correct answers and explanations of this attempt now?"""
    if attempt.status != Attempt.Status.SUBMITTED:
        return False
    quiz = attempt.quiz
    now = now or timezone.now()
    closed = quiz.closes_at is not None and now >= quiz.closes_at
    if quiz.reveal_answers == Quiz.Reveal.IMMEDIATELY:
        return True
    if quiz.reveal_answers == Quiz.Reveal.AFTER_CLOSE:
        return closed
    # After the last attempt: when every allowed attempt is used (or the quiz has closed).
    used = Attempt.objects.filter(quiz=quiz, learner_id=attempt.learner_id, status=Attempt.Status.SUBMITTED).count()
    return closed or (quiz.attempts_allowed > 0 and used >= quiz.attempts_allowed)


@dataclass(frozen=True)
class ChoiceStat:
    choice: Choice
    picks: int
    share: float


@dataclass(frozen=True)
class QuestionStat:
    question: Question
    answered: int
    correct: int
    choices: list[ChoiceStat]

    @property
    def percent_correct(self) -> float:
        return 100 * self.correct / self.answered if self.answered else 0.0


def quiz_question_stats(*, quiz: Quiz) -> list[QuestionStat]:
    """Per question, over submitted attempts: how many got it right and how often each choice
    was picked (a distractor nobody picks is a weak one)."""
    stats = []
    submitted = Answer.objects.filter(attempt__quiz=quiz, attempt__status=Attempt.Status.SUBMITTED)
    for question in quiz.questions.prefetch_related("choices"):
        answers = submitted.filter(question=question)
        answered = answers.count()
        correct = answers.filter(auto_score__gte=question.points).count() if question.is_auto_scored else 0
        picks = dict(
            Choice.objects.filter(question=question, answers__in=answers).values_list("pk").annotate(n=Count("answers")).values_list("pk", "n")
        )
        choices = [ChoiceStat(choice=c, picks=picks.get(c.pk, 0), share=(picks.get(c.pk, 0) / answered if answered else 0.0))
                   for c in question.choices.all()]
        stats.append(QuestionStat(question=question, answered=answered, correct=correct, choices=choices))
    return stats
