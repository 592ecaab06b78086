"""What load_content reads from content/: every loader refuses a key it does not know and
names where it is (a stray key is how a typo or an unquoted comma shows), the shipped rubric
is whole, and the shipped quiz comes as a graded quiz that keeps its key until the last
attempt plus a practice copy that shows it right away."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from classes.models import Offering
from labs.grading.spec import SpecError, parse_spec
from labs.selftest import _expectations
from quizzes.gradebook import combined
from quizzes.importers import QuizImportError, parse_yaml
from quizzes.importers.rubric import parse_rubrics
from quizzes.models import Level, Quiz
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import default_class, offering_of

CONTENT = settings.CONTENT_DIR

# The rubric of the essay as its author wrote it: every level's whole description.
RUBRIC_LEVELS = {
    ("Reprodutibilidade", "Ausente"): "Não menciona a reprodutibilidade ou a confunde com outra coisa.",
    ("Reprodutibilidade", "Parcial"): (
        "Cita “funciona em qualquer máquina” sem explicar o porquê (imagem, versões fixas)."
    ),
    ("Reprodutibilidade", "Completa"): (
        "Explica que a imagem fixa sistema, bibliotecas e versões, eliminando o “na minha máquina funciona”."
    ),
    ("Eficiência", "Ausente"): "Não trata de eficiência.",
    ("Eficiência", "Parcial"): "Diz que é “mais rápido” sem relacionar com leveza, camadas ou implantação.",
    ("Eficiência", "Completa"): (
        "Relaciona leveza, inicialização rápida, cache de camadas ou escala com o ciclo de vida do modelo."
    ),
    ("MLOps", "Ausente"): "Não conecta com MLOps.",
    ("MLOps", "Parcial"): "Menciona MLOps de forma genérica.",
    ("MLOps", "Completa"): "Mostra o papel do contêiner no pipeline (versionar, testar, implantar, escalar).",
    ("XAI", "Ausente"): "Não menciona explicabilidade.",
    ("XAI", "Parcial"): "Cita XAI sem ligá-la à consistência do ambiente.",
    ("XAI", "Completa"): "Explica que ambiente idêntico torna as explicações replicáveis e auditáveis.",
}
MODEL_ANSWER = "Uma boa resposta fala de reprodutibilidade"  # the essay's explanation
Q1_EXPLANATION = "VMs virtualizam o hardware"


def load_content(content_dir: Path = CONTENT) -> str:
    out = StringIO()
    call_command("load_content", "--content-dir", str(content_dir), stdout=out)
    return out.getvalue()


def offer_both() -> tuple[Quiz, Quiz]:
    """The graded quiz and its practice copy, as loaded, added to the test class (each offering
    starts from the settings its file asks for)."""
    graded, practice = Quiz.objects.get(slug="aula-45"), Quiz.objects.get(slug="aula-45-pratica")
    offering_of(graded), offering_of(practice)
    return graded, practice


@pytest.mark.django_db
def test_the_shipped_rubric_levels_are_whole():
    load_content()
    quiz = Quiz.objects.get(slug="aula-45")
    levels = Level.objects.filter(criterion__rubric__question__quiz=quiz).select_related("criterion")
    assert {(level.criterion.name, level.name): level.description for level in levels} == RUBRIC_LEVELS


def test_a_stray_key_in_a_rubric_is_refused_with_its_path():
    text = (
        "q5:\n  criteria:\n    - name: Eficiência\n      levels:\n"
        "        - {name: Ausente, points: 0, description: Não trata de eficiência.}\n"
        "        - {name: Completa, points: 1, description: Relaciona leveza, inicialização rápida.}\n"
    )
    with pytest.raises(QuizImportError) as caught:
        parse_rubrics(text, source="aula-45.rubric.yaml")
    error = caught.value
    assert error.line == 6
    assert error.describe("en") == (
        "aula-45.rubric.yaml, line 6: q5.criteria[0].levels[1].inicialização rápida.: "
        "unknown field; valid fields here: name, points, description"
    )
    assert "q5.criteria[0].levels[1].inicialização rápida.: campo desconhecido" in str(error)  # pt-BR


@pytest.mark.parametrize(
    "text, path",
    [
        ("q5:\n  criteria:\n    - name: A\n      levels: [{name: x, points: 1}]\n  snipets: []\n", "q5.snipets"),
        (
            "q5:\n  criteria:\n    - name: A\n      descripton: d\n      levels: [{name: x, points: 1}]\n",
            "q5.criteria[0].descripton",
        ),
        ("q5:\n  criteria:\n    - name: A\n      levels: [{name: x}]\n", "q5.criteria[0].levels[0].points"),
    ],
)
def test_rubric_mistakes_name_their_path(text, path):
    with pytest.raises(QuizImportError, match=path.replace("[", r"\[").replace("]", r"\]")):
        parse_rubrics(text, source="r.rubric.yaml")


def test_a_stray_key_in_the_quiz_yaml_is_refused_with_its_path():
    text = (
        "title: T\nslug: t\nsettings: {attempts_allowed: 2, reveal: immediately}\n"
        "questions:\n  - key: a\n    text: Q\n    choices: [{text: x, correct: true}, {text: y}]\n"
    )
    with pytest.raises(QuizImportError) as caught:
        parse_yaml(text, source="t.yaml")
    assert "settings.reveal: unknown field; valid fields here: attempts_allowed," in caught.value.describe("en")
    assert caught.value.line == 3


def test_a_stray_key_in_a_lab_spec_is_refused_with_its_path():
    text = (CONTENT / "labs" / "primeiro-conteiner" / "lab.yaml").read_text(encoding="utf-8")
    parse_spec(text)  # the shipped spec is valid
    broken = text.replace("checks:\n", "checks:\n  - {kind: build, id: extra, title: {pt-BR: a, b}}\n", 1)
    assert broken != text
    with pytest.raises(SpecError, match=r"checks\[0\]\.title\..*b"):
        parse_spec(broken, source="lab.yaml")


def test_a_stray_key_in_a_known_bad_case_is_refused(tmp_path):
    (tmp_path / "expected.yaml").write_text("status: failed\nnot_passed: [build]\nstatuss: x\n")
    with pytest.raises(ValueError, match="unknown key.*statuss"):
        _expectations(tmp_path)


@pytest.mark.django_db
def test_load_content_refuses_a_stray_rubric_key_naming_the_file_and_changes_nothing(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT / "quizzes", content / "quizzes")
    rubric = content / "quizzes" / "aula-45.rubric.yaml"
    rubric.write_text(
        rubric.read_text(encoding="utf-8").replace("    - name: XAI\n", "    - name: XAI\n      peso: 2\n")
    )
    with pytest.raises(
        CommandError, match=r"aula-45\.rubric\.yaml, linha \d+: q5\.criteria\[3\]\.peso: campo desconhecido"
    ):
        load_content(content)
    assert not Level.objects.exists()


# -- item: the graded quiz and its practice copy ------------------------------------------------


def submitted(quiz, learner):
    attempt = attempt_start(offering=offering_of(quiz), learner=learner)
    essay = quiz.questions.get(key="q5")
    answer_save(attempt=attempt, question=essay, choice_ids=[], text="Contêineres ajudam na reprodutibilidade.")
    return attempt_submit(attempt=attempt)


@pytest.mark.django_db
def test_load_content_ships_a_graded_quiz_and_a_practice_copy():
    load_content()
    graded, practice = offer_both()
    graded_offering, practice_offering = offering_of(graded), offering_of(practice)
    assert (graded.is_practice, graded_offering.attempts_allowed, graded_offering.reveal_answers) == (
        False,
        2,
        Offering.Reveal.AFTER_LAST_ATTEMPT,
    )
    assert (practice.is_practice, practice_offering.attempts_allowed, practice_offering.reveal_answers) == (
        True,
        0,
        Offering.Reveal.IMMEDIATELY,
    )
    assert list(practice.questions.values_list("key", flat=True)) == list(
        graded.questions.values_list("key", flat=True)
    )
    assert practice.questions.get(key="q5").rubric.criteria.count() == 4


@pytest.mark.django_db
def test_the_graded_quiz_keeps_the_key_and_the_model_answer_until_the_last_attempt(client, learner):
    load_content()
    quiz, _practice = offer_both()
    client.force_login(learner)
    first = client.get(reverse("quizzes:result", args=[submitted(quiz, learner).pk])).content.decode()
    assert MODEL_ANSWER not in first and Q1_EXPLANATION not in first
    assert "Explicação" not in first
    last = submitted(quiz, learner)
    page = client.get(reverse("quizzes:result", args=[last.pk])).content.decode()
    assert MODEL_ANSWER in page and Q1_EXPLANATION in page
    with pytest.raises(Exception, match="2"):
        attempt_start(offering=offering_of(quiz), learner=learner)  # no third attempt


@pytest.mark.django_db
def test_the_practice_quiz_shows_the_key_after_each_attempt_and_says_it_is_practice(client, learner):
    load_content()
    _graded, quiz = offer_both()
    client.force_login(learner)
    page = client.get(reverse("quizzes:result", args=[submitted(quiz, learner).pk])).content.decode()
    assert MODEL_ANSWER in page and Q1_EXPLANATION in page
    badge = '<span class="badge badge-info">Prática: não conta na nota</span>'
    assert badge in client.get(reverse("home")).content.decode()
    detail = client.get(reverse("quizzes:detail", args=[default_class().pk, quiz.slug])).content.decode()
    assert '<p class="badge badge-info">Prática: não conta na nota</p>' in detail
    graded = client.get(reverse("quizzes:detail", args=[default_class().pk, "aula-45"])).content.decode()
    assert "badge-info" not in graded
    header, _rows = combined(klass=default_class())
    assert "quiz:aula-45 (%)" in header and "quiz:aula-45-pratica (%)" not in header


@pytest.mark.django_db
def test_reloading_content_keeps_the_settings_a_teacher_chose():
    load_content()
    graded, practice = offer_both()
    offering_of(
        graded,
        attempts_allowed=5,
        reveal_answers=Offering.Reveal.AFTER_CLOSE,
        grading_method=Offering.GradingMethod.LAST,
    )
    offering_of(practice, attempts_allowed=1)
    Quiz.objects.filter(slug="aula-45-pratica").update(is_practice=False)
    assert "quiz aula-45: updated" in load_content()
    graded, practice = offer_both()
    graded_offering = Offering.objects.get(pk=offering_of(graded).pk)
    practice_offering = Offering.objects.get(pk=offering_of(practice).pk)
    assert (graded_offering.attempts_allowed, graded_offering.reveal_answers, graded_offering.grading_method) == (
        5,
        "after_close",
        "last",
    )
    assert (practice.is_practice, practice_offering.attempts_allowed) == (False, 1)
