"""Instructors: the essay review queue, grading with a rubric, release, grade exports."""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.decorators import instructor_required

from . import gradebook
from .models import Answer, Question, Quiz
from .reviews import (
    ReviewConflict, essay_answers, next_answer_to_review, review_counts, review_open, review_release, review_save,
    rubric_for, stable_order_key,
)

BLIND_KEY = "estaleiro_blind_review"


def _filters(request) -> tuple[Quiz | None, Question | None]:
    quiz = Quiz.objects.filter(slug=request.GET.get("quiz") or request.POST.get("quiz") or "").first()
    question = Question.objects.filter(pk=(request.GET.get("question") or request.POST.get("question") or 0) or 0, kind="essay").first()
    if question is not None:
        quiz = question.quiz
    return quiz, question


def _filter_query(quiz, question) -> str:
    params = {k: v for k, v in {"quiz": quiz.slug if quiz else "", "question": question.pk if question else ""}.items() if v}
    return f"?{urlencode(params)}" if params else ""


@instructor_required
@require_GET
def review_queue(request):
    quiz, question = _filters(request)
    answers = sorted(essay_answers(quiz=quiz, question=question).select_related("review"),
                     key=lambda a: (a.attempt.quiz_id, a.question.position, stable_order_key(a)))
    questions = Question.objects.filter(kind="essay").select_related("quiz")
    return render(request, "quizzes/review/queue.html", {
        "quiz": quiz, "question": question, "answers": answers, "counts": review_counts(quiz=quiz, question=question),
        "quizzes": Quiz.objects.all(), "questions": questions, "blind": request.session.get(BLIND_KEY, False),
        "query": _filter_query(quiz, question),
        "per_question": [(q, review_counts(question=q)) for q in questions],
    })


@instructor_required
@require_POST
def review_blind_toggle(request):
    request.session[BLIND_KEY] = not request.session.get(BLIND_KEY, False)
    return redirect(request.POST.get("next") or reverse("quizzes:review-queue"))


@instructor_required
@require_GET
def review_next(request):
    quiz, question = _filters(request)
    answer = next_answer_to_review(reviewer=request.user, quiz=quiz, question=question)
    if answer is None:
        messages.success(request, _("Every answer here has been reviewed."))
        return redirect(reverse("quizzes:review-queue") + _filter_query(quiz, question))
    return redirect(reverse("quizzes:review-answer", args=[answer.pk]) + _filter_query(quiz, question))


def _review_context(request, answer: Answer, review, holder: str, error: str = "") -> dict:
    quiz, question = _filters(request)
    return {
        "answer": answer, "review": review, "holder": holder, "error": error,
        "rubric": rubric_for(answer.question), "chosen": set(review.levels.values_list("pk", flat=True)),
        "snippets": answer.question.snippets.all(), "blind": request.session.get(BLIND_KEY, False),
        "query": _filter_query(quiz, question), "counts": review_counts(question=answer.question),
    }


def _float(value: str) -> float:
    try:
        return float((value or "0").replace(",", "."))
    except ValueError:
        return 0.0


@instructor_required
@require_http_methods(["GET", "POST"])
def review_answer(request, pk):
    answer = get_object_or_404(Answer.objects.select_related("question__quiz", "attempt__learner"), pk=pk, question__kind="essay")
    review, holder = review_open(answer=answer, reviewer=request.user)
    if request.method == "GET":
        return render(request, "quizzes/review/answer.html", _review_context(request, answer, review, holder))
    complete = request.POST.get("action") in {"save", "next"}
    try:
        review = review_save(
            review_id=review.pk, reviewer=request.user, version=int(request.POST.get("version", -1)),
            level_ids=[int(v) for key in request.POST if key == "level" or key.startswith("level-")
                       for v in request.POST.getlist(key) if v.isdigit()],
            adjustment=_float(request.POST.get("adjustment", "0")), comment=request.POST.get("comment", ""), complete=complete,
        )
    except ReviewConflict as exc:
        if request.htmx:
            return render(request, "quizzes/review/answer.html#autosave-state", {"error": str(exc), "review": review})
        context = _review_context(request, answer, review, holder, error=str(exc))
        return render(request, "quizzes/review/answer.html", context, status=409)
    if request.htmx:
        return render(request, "quizzes/review/answer.html#autosave-state", {"review": review, "saved": True})
    quiz, question = _filters(request)
    if request.POST.get("action") == "next":
        return redirect(reverse("quizzes:review-next") + _filter_query(quiz, question))
    messages.success(request, _("Review saved."))
    return redirect(reverse("quizzes:review-answer", args=[answer.pk]) + _filter_query(quiz, question))


@instructor_required
@require_POST
def review_release_view(request):
    quiz, question = _filters(request)
    if quiz is None:
        messages.error(request, _("Choose a quiz (or a question) to release."))
        return redirect("quizzes:review-queue")
    count = review_release(quiz=quiz, question=question)
    messages.success(request, _("%(count)d review(s) released to learners.") % {"count": count})
    return redirect(reverse("quizzes:review-queue") + _filter_query(quiz, question))


def _csv_response(filename: str, header: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([[gradebook.csv_safe(cell) for cell in row] for row in rows])
    return response


@instructor_required
@require_GET
def quiz_grades_csv(request, slug):
    quiz = get_object_or_404(Quiz, slug=slug)
    header, rows = gradebook.quiz_grades(quiz=quiz)
    return _csv_response(f"{quiz.slug}-notas.csv", header, rows)


@instructor_required
@require_GET
def gradebook_csv(request):
    header, rows = gradebook.combined()
    return _csv_response("estaleiro-boletim.csv", header, rows)
