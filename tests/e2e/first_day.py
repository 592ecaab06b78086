"""A class's first day, built directly in the database for the browser tests of layout and
accessibility: a learner with a submitted quiz (an essay reviewed and released) and a graded lab
submission, another learner mid-attempt, and the class's teacher and teaching assistant with
essays and submissions to read. The grading daemon is not needed: the submissions are stored with their report."""

from dataclasses import dataclass

from classes.models import Class
from labs.models import Lab, Submission
from quizzes.models import Answer, Attempt, Quiz
from quizzes.reviews import review_open, review_release, review_save
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, default_class, enrol_in, lab_from_content, offering_of, quiz_from_content

LAB = "api-modelo-ml"

# A report as the grading engine stores it: a failed verdict, with long messages and hints.
REPORT = {
    "status": "failed",
    "summary": "Reprovado: 55 de 100 pontos",
    "failing_step": "",
    "checks": [
        {
            "id": "build",
            "kind": "build",
            "title": "A imagem é construída",
            "status": "passed",
            "points": 20,
            "max_points": 20,
            "required": True,
            "bonus": False,
            "message": "A imagem foi construída sem erros em 41 s.",
            "hint": "",
            "lesson_section": "",
            "line": None,
            "output": "",
        },
        {
            "id": "usuario-nao-root",
            "kind": "user",
            "title": "O contêiner roda como usuário não-root",
            "status": "failed",
            "points": 0,
            "max_points": 25,
            "required": False,
            "bonus": False,
            "message": "O processo principal roda como root (uid 0): um invasor que explore a API controla o contêiner inteiro.",
            "hint": "Crie um usuário com `useradd --create-home appuser` e troque para ele com `USER appuser` antes do `CMD`.",
            "lesson_section": "Boas práticas de segurança",
            "line": 9,
            "output": "uid=0(root) gid=0(root) groups=0(root)",
        },
        {
            "id": "predict",
            "kind": "http",
            "title": "POST /predict responde uma previsão",
            "status": "passed",
            "points": 35,
            "max_points": 35,
            "required": True,
            "bonus": False,
            "message": "HTTP 200 com o JSON esperado.",
            "hint": "",
            "lesson_section": "",
            "line": None,
            "output": '{"prediction": 0, "probabilities": [0.97, 0.03, 0.0]}',
        },
    ],
    "rejections": [],
}
DOCKERFILE = (
    "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
    "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nEXPOSE 5000\n"
    'CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers", "2", "--timeout", "120", "app:app"]\n'
)
LOG = (
    "Step 1/7 : FROM python:3.11-slim\nStep 2/7 : WORKDIR /app\n"
    "Step 4/7 : RUN pip install --no-cache-dir -r requirements.txt && python -c 'import sklearn, flask, gunicorn, joblib'\n"
    "Successfully built 0123456789ab\n"
)


@dataclass
class FirstDay:
    klass: Class  # the test class: prof its teacher, monica its assistant, the others its learners
    quiz: Quiz
    lab: Lab
    submission: Submission
    released_attempt: Attempt  # ana's, with a released essay review
    open_attempt: Attempt  # carla's, in progress
    essay: Answer  # bruno's, not reviewed yet


def first_day() -> FirstDay:
    quiz = quiz_from_content()
    lab = lab_from_content(LAB)
    klass = default_class()
    quiz_offering, lab_offering = offering_of(quiz), offering_of(lab)
    prof = UserFactory(username="prof", first_name="Prof", instructor=True)
    enrol_in(UserFactory(username="monica", first_name="Monica", enrol=False), role="assistant", klass=klass)
    ana = UserFactory(username="ana", first_name="Ana")
    essay_question = quiz.questions.get(key="q5")

    def submitted(learner, text):
        attempt = attempt_start(offering=quiz_offering, learner=learner)
        q1 = quiz.questions.get(key="q1")
        answer_save(attempt=attempt, question=q1, choice_ids=[q1.choices.get(is_correct=True).pk], text="")
        answer = answer_save(attempt=attempt, question=essay_question, choice_ids=[], text=text)
        attempt_submit(attempt=attempt)
        return attempt, answer

    released, answer = submitted(
        ana, "Docker garante reprodutibilidade e eficiência no MLOps: a mesma imagem roda em todo lugar."
    )
    review, _ = review_open(answer=answer, reviewer=prof)
    criteria = essay_question.rubric.criteria.all()
    review_save(
        review_id=review.pk,
        reviewer=prof,
        version=review.version,
        level_ids=[c.levels.order_by("-points").first().pk for c in criteria],
        adjustment=0,
        comment="Boa explicação da reprodutibilidade.",
        complete=True,
    )
    review_release(klass=klass, quiz=quiz)
    _, essay = submitted(UserFactory(username="bruno.lima.de.oliveira", first_name="Bruno"), "Reprodutibilidade.")
    carla = UserFactory(username="carla", first_name="Carla")
    open_attempt = attempt_start(offering=quiz_offering, learner=carla)

    submission = Submission.objects.create(
        learner=ana,
        lab=lab,
        offering=lab_offering,
        dockerfile=DOCKERFILE,
        status=Submission.Status.FAILED,
        score=55,
        max_score=100,
        counted=True,
        report=REPORT,
        log=LOG,
    )
    for status in (Submission.Status.PASSED, Submission.Status.REJECTED):
        Submission.objects.create(
            learner=carla,
            lab=lab,
            offering=lab_offering,
            dockerfile=DOCKERFILE,
            status=status,
            score=100,
            max_score=100,
            counted=True,
        )
    return FirstDay(klass, quiz, lab, submission, released, open_attempt, essay)
