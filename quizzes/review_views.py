"""Instructors: the essay review queue, grading with a rubric, release, grade exports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import slug_re
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classes.decorators import class_permission_denied, class_required
from classes.models import Class, Offering
from classes.permissions import Action, can
from classes.services import class_event_log
from core.exports import Format, table_response
from core.query import float_param, int_param, int_params

from . import gradebook, selectors
from .importers import dump_moodle_xml
from .models import Answer, Question, Quiz
from .reviews import (
    ReviewConflict,
    essay_answers,
    next_answer_to_review,
    release_preview,
    review_counts,
    review_open,
    review_release,
    review_save,
    rubric_for,
    stable_order_key,
)

BLIND_KEY = "estaleiro_blind_review"


def _class_quizzes(klass: Class):
    return Quiz.objects.filter(offerings__klass=klass)


def _filters(request, klass: Class) -> tuple[Quiz | None, Question | None]:
    """The quiz and the essay question the review pages are narrowed to, among the class's: a
    value that cannot name one (not a slug, not an id) is no filter, and never reaches the
    database; one of another class's content is no filter either."""
    slug = request.GET.get("quiz") or request.POST.get("quiz") or ""
    quiz = _class_quizzes(klass).filter(slug=slug).first() if slug_re.match(slug) else None
    question_id = int_param(request.GET.get("question") or request.POST.get("question"), minimum=1)
    question = (
        Question.objects.filter(pk=question_id, kind="essay", quiz__in=_class_quizzes(klass)).first()
        if question_id
        else None
    )
    if question is not None:
        quiz = question.quiz
    return quiz, question


def _filter_query(quiz, question) -> str:
    params = {
        k: v for k, v in {"quiz": quiz.slug if quiz else "", "question": question.pk if question else ""}.items() if v
    }
    return f"?{urlencode(params)}" if params else ""


@class_required(Action.REVIEW)
@require_GET
def review_queue(request, klass: Class):
    quiz, question = _filters(request, klass)
    answers = sorted(
        essay_answers(klass=klass, quiz=quiz, question=question).select_related("review"),
        key=lambda a: (a.attempt.quiz_id, a.question.position, stable_order_key(a)),
    )
    quizzes = list(_class_quizzes(klass))
    questions = Question.objects.filter(kind="essay", quiz__in=quizzes).select_related("quiz")
    return render(
        request,
        "quizzes/review/queue.html",
        {
            "klass": klass,
            "quiz": quiz,
            "question": question,
            "answers": answers,
            "counts": review_counts(klass=klass, quiz=quiz, question=question),
            "quizzes": quizzes,
            "questions": questions,
            "blind": request.session.get(BLIND_KEY, False),
            "query": _filter_query(quiz, question),
            "per_question": [(q, review_counts(klass=klass, question=q)) for q in questions],
            # Release and the grades' CSV per quiz, without filtering first.
            "per_quiz": [(q, review_counts(klass=klass, quiz=q)) for q in ([quiz] if quiz else quizzes)],
            "can_release": can(request.user, klass, Action.RELEASE),
            "may_export": can(request.user, klass, Action.EXPORT),
        },
    )


@class_required(Action.REVIEW)
@require_POST
def review_blind_toggle(request, klass: Class):
    request.session[BLIND_KEY] = not request.session.get(BLIND_KEY, False)
    return HttpResponseRedirect(_back_to(request, reverse("quizzes:review-queue", args=[klass.pk])))


def _back_to(request, default: str) -> str:
    """The page a form was sent from (its `next`), if it is a path of this site; else default.
    A path only: no other host or scheme (an open redirect, javascript:), nothing relative to
    this URL, no control characters (a split header)."""
    target = request.POST.get("next") or ""
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


@class_required(Action.REVIEW)
@require_GET
def review_next(request, klass: Class):
    quiz, question = _filters(request, klass)
    answer = next_answer_to_review(klass=klass, reviewer=request.user, quiz=quiz, question=question)
    if answer is None:
        messages.success(request, _("Every answer here has been reviewed."))
        return redirect(reverse("quizzes:review-queue", args=[klass.pk]) + _filter_query(quiz, question))
    return redirect(reverse("quizzes:review-answer", args=[answer.pk]) + _filter_query(quiz, question))


def _review_context(request, answer: Answer, review, holder: str, error: str = "", chosen: set | None = None) -> dict:
    klass = answer.attempt.offering.klass
    quiz, question = _filters(request, klass)
    return {
        "klass": klass,
        "answer": answer,
        "review": review,
        "holder": holder,
        "error": error,
        "rubric": rubric_for(answer.question),
        "chosen": set(review.levels.values_list("pk", flat=True)) if chosen is None else chosen,
        "snippets": answer.question.snippets.all(),
        "blind": request.session.get(BLIND_KEY, False),
        "query": _filter_query(quiz, question),
        "counts": review_counts(klass=klass, question=answer.question),
    }


def _adjustment(request, question: Question) -> tuple[float, str]:
    """(the manual adjustment typed, '') or (0.0, why it is refused). An empty field adjusts
    nothing (a browser sends an unparseable number field empty). Beyond the question's worth
    (or its rubric's, if larger) no adjustment changes the score, which is kept within it."""
    typed = (request.POST.get("adjustment") or "").strip()
    if not typed:
        return 0.0, ""
    rubric = rubric_for(question)
    limit = max(question.points, rubric.max_points if rubric else 0)
    value = float_param(typed, minimum=-limit, maximum=limit)
    if value is None:
        return 0.0, _("The manual adjustment must be a number between %(low)s and %(high)s points.") % {
            "low": floatformat(-limit, "-2"),
            "high": floatformat(limit, "-2"),
        }
    return value, ""


def _level_ids(request) -> list[int]:
    # One radio group per criterion (level-<criterion id>), or a plain repeated "level".
    return int_params(
        value
        for key in request.POST
        if key == "level" or key.startswith("level-")
        for value in request.POST.getlist(key)
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_answer(request, pk):
    answer = get_object_or_404(
        Answer.objects.select_related("question__quiz", "attempt__learner", "attempt__offering__klass"),
        pk=pk,
        question__kind="essay",
    )
    klass = answer.attempt.offering.klass
    if not can(request.user, klass, Action.REVIEW):
        raise class_permission_denied(request.user, klass)
    review, holder = review_open(answer=answer, reviewer=request.user)
    if request.method == "GET":
        return render(request, "quizzes/review/answer.html", _review_context(request, answer, review, holder))
    complete = request.POST.get("action") in {"save", "next"}
    adjustment, error = _adjustment(request, answer.question)
    if error:
        # Nothing is saved; the comment and levels typed are shown again for the next try.
        if request.htmx:  # the autosave's status line shows it (htmx swaps in 2xx answers only)
            return render(request, "quizzes/review/answer.html#autosave-state", {"error": error, "review": review})
        review.comment = request.POST.get("comment", "")
        context = _review_context(request, answer, review, holder, error=error, chosen=set(_level_ids(request)))
        return render(request, "quizzes/review/answer.html", context, status=400)
    try:
        review = review_save(
            # No version named is a stale one: refused, like any save of a version not current.
            review_id=review.pk,
            reviewer=request.user,
            version=int_param(request.POST.get("version"), default=-1),
            level_ids=_level_ids(request),
            adjustment=adjustment,
            comment=request.POST.get("comment", ""),
            complete=complete,
        )
    except ReviewConflict as exc:
        if request.htmx:
            return render(request, "quizzes/review/answer.html#autosave-state", {"error": str(exc), "review": review})
        context = _review_context(request, answer, review, holder, error=str(exc))
        return render(request, "quizzes/review/answer.html", context, status=409)
    if request.htmx:
        return render(request, "quizzes/review/answer.html#autosave-state", {"review": review, "saved": True})
    quiz, question = _filters(request, klass)
    if request.POST.get("action") == "next":
        return redirect(reverse("quizzes:review-next", args=[klass.pk]) + _filter_query(quiz, question))
    messages.success(request, _("Review saved."))
    return redirect(reverse("quizzes:review-answer", args=[answer.pk]) + _filter_query(quiz, question))


@class_required(Action.RELEASE)
@require_POST
def review_release_view(request, klass: Class):
    quiz, question = _filters(request, klass)
    if quiz is None:
        messages.error(request, _("Choose a quiz (or a question) to release."))
        return redirect("quizzes:review-queue", klass.pk)
    if request.POST.get("confirm") != "yes":
        # Release makes grades final and shows them: the instructor first reads what it does
        # and to how many learners, then confirms (a form of its own, no script needed).
        preview = release_preview(klass=klass, quiz=quiz, question=question)
        return render(
            request,
            "quizzes/review/release_confirm.html",
            {
                "klass": klass,
                "quiz": quiz,
                "question": question,
                "preview": preview,
                "query": _filter_query(quiz, question),
            },
        )
    count = review_release(klass=klass, quiz=quiz, question=question)
    class_event_log(
        klass=klass,
        actor=request.user,
        action="released",
        detail={"quiz": quiz.slug, "question": question.key if question else "", "count": count},
    )
    messages.success(
        request,
        ngettext("%(count)d review released to learners.", "%(count)d reviews released to learners.", count)
        % {"count": count},
    )
    return redirect(reverse("quizzes:review-queue", args=[klass.pk]) + _filter_query(quiz, question))


@class_required(Action.EXPORT)
@require_GET
def quiz_grades_csv(request, klass: Class, slug, fmt: Format = "csv"):
    offering = get_object_or_404(Offering, klass_id=klass.pk, quiz__slug=slug)
    header, rows = gradebook.quiz_grades(offering=offering)
    return table_response(stem=f"{offering.slug}-notas", header=header, rows=rows, fmt=fmt)


@class_required(Action.EXPORT)
@require_GET
def quiz_bank_xml(request, klass: Class, slug):
    """The quiz's questions, answer key included, as Moodle XML: for the class's teacher to take
    the bank to Moodle (Question bank → Import) or keep a copy (see importers/moodlexml.py)."""
    quiz = get_object_or_404(Offering.objects.select_related("quiz"), klass_id=klass.pk, quiz__slug=slug).quiz
    assert quiz is not None  # the offering was found by its quiz's slug
    response = HttpResponse(
        dump_moodle_xml(selectors.quiz_data(quiz=quiz)), content_type="application/xml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{quiz.slug}-moodle.xml"'
    return response


@class_required(Action.EXPORT)
@require_GET
def gradebook_csv(request, klass: Class, fmt: Format = "csv"):
    header, rows = gradebook.combined(klass=klass)
    return table_response(stem=f"boletim-turma-{klass.pk}", header=header, rows=rows, fmt=fmt)


def _essay_offering_and_question(klass: Class, slug: str, question_id: int) -> tuple[Offering, Question]:
    offering = get_object_or_404(Offering.objects.select_related("quiz", "klass"), klass_id=klass.pk, quiz__slug=slug)
    question = selectors.essay_question_of(offering=offering, question_id=question_id)
    if question is None:
        raise Http404
    return offering, question


@class_required(Action.REVIEW)
@require_GET
def essay_similarity(request, klass: Class, slug, question_id):
    """The class's most alike pairs of answers to an essay question: a hint, never a grade."""
    offering, question = _essay_offering_and_question(klass, slug, question_id)
    return render(
        request,
        "quizzes/review/similarity.html",
        {
            "klass": klass,
            "offering": offering,
            "question": question,
            "report": selectors.essay_similarity(offering=offering, question=question),
            "min_words": selectors.MIN_ESSAY_WORDS,
            "blind": request.session.get(BLIND_KEY, False),
            "query": _filter_query(offering.quiz, question),
        },
    )


@class_required(Action.REVIEW)
@require_GET
def essay_similarity_pair(request, klass: Class, slug, question_id):
    """Two answers to the question side by side (?a=<answer id>&b=<answer id>), sentence by sentence."""
    offering, question = _essay_offering_and_question(klass, slug, question_id)
    first = int_param(request.GET.get("a"), minimum=1)
    second = int_param(request.GET.get("b"), minimum=1)
    if first is None or second is None:
        messages.info(request, _("Choose a pair in the list to see the two side by side."))
        return redirect("quizzes:essay-similarity", class_id=klass.pk, slug=offering.slug, question_id=question.pk)
    compared = selectors.essay_similarity_pair(offering=offering, question=question, first_id=first, second_id=second)
    if compared is None:
        raise Http404
    blind = request.session.get(BLIND_KEY, False)
    return render(
        request,
        "quizzes/review/similarity_pair.html",
        {
            "klass": klass,
            "offering": offering,
            "question": question,
            "compared": compared,
            "left_label": _answer_label(compared.first, blind),
            "right_label": _answer_label(compared.second, blind),
            "query": _filter_query(offering.quiz, question),
        },
    )


def _answer_label(answer: Answer, blind: bool) -> str:
    """Whose answer it is, or only its number while blind review hides names."""
    if blind:
        return _("Answer #%(id)s") % {"id": answer.pk}
    learner = answer.attempt.learner
    return learner.get_full_name() or learner.username
