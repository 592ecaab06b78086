from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from classes.deadlines import learner_terms
from classes.decorators import class_required
from classes.models import Class, Offering
from classes.permissions import Action, can
from common.i18n import normalize_lang
from core.query import int_param, int_params

from . import selectors
from .docker_command import describe
from .models import Attempt, Question
from .results import TYPED_KINDS, kind_result
from .services import (
    AnswerRefused,
    QuizClosed,
    answer_save,
    attempt_expire_if_due,
    attempt_start,
    attempt_submit,
    attempts_finish_overdue,
    not_open_yet_message,
    overdue_message,
)


@login_required
@require_GET
def quiz_detail(request, class_id, slug):
    offering = selectors.quiz_offering_get(class_id=class_id, slug=slug, user=request.user)
    quiz = offering.quiz
    assert quiz is not None
    now = timezone.now()
    attempts_finish_overdue(offering=offering, learner=request.user, now=now)
    attempts = selectors.learner_attempts(offering=offering, user=request.user)
    terms = learner_terms(offering=offering, learner_id=request.user.pk)
    selectors.with_terms(attempts, terms)
    in_progress = next((a for a in attempts if a.status == Attempt.Status.IN_PROGRESS), None)
    # Taking the same quiz in another class holds back this class's marks too.
    taking = in_progress is not None or selectors.has_attempt_in_progress(quiz_id=quiz.pk, learner_id=request.user.pk)
    for attempt in attempts:
        attempt.quiz, attempt.offering = quiz, offering
        attempt.marks_visible = selectors.marks_visible(attempt=attempt, now=now, in_progress=taking)
    remaining = None if not terms.attempts_allowed else max(0, terms.attempts_allowed - len(attempts))
    return render(
        request,
        "quizzes/quiz_detail.html",
        {
            "klass": offering.klass,
            "offering": offering,
            "terms": terms,
            "quiz": quiz,
            "attempts": attempts,
            "in_progress": in_progress,
            "remaining": remaining,
            "final_percent": selectors.learner_final_percent(offering=offering, attempts=attempts, now=now),
            "question_count": quiz.questions_per_attempt,
            "is_open": terms.is_open(now),
            "may_take": can(request.user, offering.klass, Action.TAKE),
            "may_see_work": can(request.user, offering.klass, Action.SEE_WORK),
        },
    )


@login_required
@require_POST
def attempt_begin(request, class_id, slug):
    offering = selectors.quiz_offering_get(class_id=class_id, slug=slug, user=request.user)
    if not can(request.user, offering.klass, Action.TAKE):
        messages.error(request, _("Only the class's learners answer its quizzes."))
        return redirect("quizzes:detail", class_id=offering.klass_id, slug=offering.slug)
    try:
        attempt = attempt_start(offering=offering, learner=request.user)
    except QuizClosed as exc:
        messages.error(request, str(exc))
        return redirect("quizzes:detail", class_id=offering.klass_id, slug=offering.slug)
    return redirect("quizzes:attempt", pk=attempt.pk)


def _own_attempt(request, pk) -> Attempt:
    attempt = selectors.attempt_for_viewer(attempt_id=pk, user=request.user)
    if attempt.learner_id != request.user.pk:
        raise Http404  # instructors read attempts on the results page, never answer them
    return attempt


def _page_context(attempt: Attempt, page: int) -> dict:
    questions = selectors.attempt_questions(attempt=attempt, with_reviews=False)
    per_page = 1 if attempt.offering.one_per_page else max(1, len(questions))
    pages = max(1, -(-len(questions) // per_page))
    page = min(max(1, page), pages)
    shown = questions[(page - 1) * per_page : page * per_page]
    return {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "klass": attempt.offering.klass,
        "questions": shown,
        "all_questions": questions,
        "answered": sum(q.answered for q in questions),
        "total": len(questions),
        "page": page,
        "pages": pages,
        "seconds_left": _seconds_left(attempt),
    }


def _seconds_left(attempt: Attempt) -> int | None:
    due = attempt.due_at
    if due is None:
        return None
    return max(0, int((due - timezone.now()).total_seconds()))


def _closed_redirect(request, attempt: Attempt):
    """Where a learner goes when the attempt takes no more answers, told why; None when it
    still does. An attempt past its time is finished here, on the request that notices."""
    if attempt.status == Attempt.Status.SUBMITTED:
        return redirect("quizzes:result", pk=attempt.pk)
    if attempt_expire_if_due(attempt=attempt):
        messages.warning(request, overdue_message(attempt))
        return redirect("quizzes:result", pk=attempt.pk)
    if not attempt.terms.has_opened():
        messages.error(request, not_open_yet_message())
        return redirect("quizzes:detail", class_id=attempt.offering.klass_id, slug=attempt.quiz.slug)
    return None


def _refused(request, attempt: Attempt, exc: QuizClosed) -> str:
    """Say why an answer or a submit was refused; the URL to go to next."""
    messages.error(request, str(exc))
    attempt.refresh_from_db(fields=["status"])
    if attempt.status == Attempt.Status.SUBMITTED:
        return reverse("quizzes:result", args=[attempt.pk])
    return reverse("quizzes:detail", args=[attempt.offering.klass_id, attempt.quiz.slug])


@login_required
@require_GET
def attempt_take(request, pk):
    attempt = _own_attempt(request, pk)
    closed = _closed_redirect(request, attempt)
    if closed is not None:
        return closed
    return render(request, "quizzes/attempt.html", _page_context(attempt, _page(request.GET)))


def _page(query) -> int:
    # Past the last page is the last page (_page_context); anything that is no page number, the first.
    return int_param(query.get("page"), default=1, minimum=1)


def _choice_ids(values) -> list[int]:
    # Choice ids the learner could have been shown: positive and within the primary key's range
    # (a longer number would overflow the database's integer before the query could find nothing).
    return int_params(values, minimum=1, maximum=2**63 - 1)


def _answer_fields(post, question: Question) -> dict:
    """What the form sent for one question, as answer_save takes it: the choices' ids, the typed
    text, and a matching question's selects (`q<question>-s<stem>`) as {stem id: text}."""
    field = f"q{question.pk}"
    prefix = f"{field}-s"
    return {
        "choice_ids": _choice_ids(post.getlist(field)),
        "text": post.get(field, ""),
        "response": {name.removeprefix(prefix): post.get(name, "") for name in post if name.startswith(prefix)},
    }


@login_required
@require_POST
def answer_autosave(request, pk, question_id):
    """htmx: save one answer on every click or keystroke and say so."""
    attempt = _own_attempt(request, pk)
    question = get_object_or_404(Question, pk=question_id, quiz=attempt.quiz)
    try:
        answer_save(attempt=attempt, question=question, **_answer_fields(request.POST, question))
    except AnswerRefused as exc:
        # Said where the status line is; what was saved before stays (the field keeps the text).
        return render(request, "quizzes/attempt.html#autosave-state", {"question": question, "error": str(exc)})
    except QuizClosed as exc:
        # htmx follows HX-Redirect at once (and swaps nothing); the message waits on the page it lands on.
        return HttpResponseClientRedirect(_refused(request, attempt, exc))
    answered, total = selectors.attempt_progress(attempt=attempt)
    return render(
        request,
        "quizzes/attempt.html#autosave-state",
        {"question": question, "saved_at": timezone.now(), "answered": answered, "total": total},
    )


@login_required
@require_POST
def attempt_save_page(request, pk):
    """Without JavaScript: save every answer on the page, then go where the button said."""
    attempt = _own_attempt(request, pk)
    page_context = _page_context(attempt, _page(request.POST))
    refused = False
    try:
        for view in page_context["questions"]:
            try:
                answer_save(attempt=attempt, question=view.question, **_answer_fields(request.POST, view.question))
            except AnswerRefused as exc:
                # The page's other answers are saved; this one is named and the learner stays here.
                refused = True
                messages.error(request, _("Question %(n)d: %(problem)s") % {"n": view.number, "problem": exc})
    except QuizClosed as exc:
        return redirect(_refused(request, attempt, exc))
    if refused:
        return redirect(f"{reverse('quizzes:attempt', args=[attempt.pk])}?page={page_context['page']}")
    target = int_param(request.POST.get("go"), minimum=1)
    if target is not None:
        return redirect(f"{reverse('quizzes:attempt', args=[attempt.pk])}?page={target}")
    return redirect("quizzes:submit", pk=attempt.pk)


@login_required
@require_http_methods(["GET", "POST"])
def attempt_finish(request, pk):
    attempt = _own_attempt(request, pk)
    closed = _closed_redirect(request, attempt)
    if closed is not None:
        return closed
    if request.method == "POST":
        try:
            attempt_submit(attempt=attempt, auto=request.POST.get("auto") == "1" and _seconds_left(attempt) == 0)
        except QuizClosed as exc:
            return redirect(_refused(request, attempt, exc))
        return redirect("quizzes:result", pk=attempt.pk)
    context = _page_context(attempt, 1)
    context["unanswered"] = [q for q in context["all_questions"] if not q.answered]
    return render(request, "quizzes/submit.html", context)


@login_required
@require_GET
def attempt_result(request, pk):
    attempt = selectors.attempt_for_viewer(attempt_id=pk, user=request.user)
    if attempt.status != Attempt.Status.SUBMITTED:
        if attempt.learner_id == request.user.pk:
            return redirect("quizzes:attempt", pk=attempt.pk)
        raise Http404
    now = timezone.now()
    # Another attempt past its time is finished before anything of this one is shown.
    attempts_finish_overdue(offering=attempt.offering, learner=attempt.learner, now=now)
    # What is held back while another attempt is open is held back from the learner taking it;
    # an instructor's view of the page is as it always was.
    in_progress = attempt.learner_id == request.user.pk and selectors.has_attempt_in_progress(
        quiz_id=attempt.quiz_id, learner_id=attempt.learner_id
    )
    reveal = selectors.can_reveal(attempt=attempt, now=now, in_progress=in_progress)
    marks = selectors.marks_visible(attempt=attempt, now=now, user=request.user, in_progress=in_progress)
    lang = normalize_lang(request.LANGUAGE_CODE)
    questions = selectors.attempt_questions(attempt=attempt)
    for view in questions:
        feedback = view.answer.feedback if view.answer and view.question.kind == Question.Kind.COMMAND else []
        view.command_feedback = [describe(problem, lang=lang) for problem in feedback] if reveal else []
        if view.question.kind in TYPED_KINDS:
            view.result = kind_result(view, reveal=reveal, marks=marks)
        review = getattr(view.answer, "review", None) if view.answer else None
        # A review reaches the learner once released (its saved revision, never a draft), and
        # not while another attempt is being taken: its rubric describes the model answer.
        view.review = review if review is not None and review.released_at and not in_progress else None
    return render(
        request,
        "quizzes/result.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "klass": attempt.offering.klass,
            "questions": questions,
            "reveal": reveal,
            "marks": marks,
            "in_progress": in_progress,
            "has_essay": any(
                v.question.kind == Question.Kind.ESSAY and v.answer and v.answer.text.strip() for v in questions
            ),
        },
    )


@class_required(Action.SEE_WORK)
@require_GET
def quiz_stats(request, klass: Class, slug):
    offering = get_object_or_404(Offering.objects.select_related("quiz"), klass_id=klass.pk, quiz__slug=slug)
    attempts = Attempt.objects.filter(offering=offering, status=Attempt.Status.SUBMITTED)
    return render(
        request,
        "quizzes/stats.html",
        {
            "klass": klass,
            "offering": offering,
            "quiz": offering.quiz,
            "stats": selectors.quiz_question_stats(offering=offering),
            "draws": selectors.quiz_draws(offering=offering),
            "attempt_count": attempts.count(),
            "may_export": can(request.user, klass, Action.EXPORT),
        },
    )
