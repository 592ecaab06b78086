"""Quiz importers: pure Python, so these tests need neither Django nor a database."""

import subprocess
import sys
from pathlib import Path

import pytest

from quizzes.importers import (
    ChoiceData,
    QuestionData,
    QuizData,
    QuizImportError,
    dump_yaml,
    finalize,
    parse_aiken,
    parse_file,
    parse_gift,
    parse_lesson,
    parse_yaml,
    yamlfile,
)

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "content" / "lesson" / "aula-45.txt"  # the lesson itself, as the course gives it

MINI_LESSON = """\
# Aula 7 – Teste

## Autoavaliação

### Questão 1

Qual instrução define a imagem base?

- a) FROM
- b) RUN

### Questão 2 (Dissertativa)

Explique o que é um contêiner.

# Gabarito

## Questão 1

**Resposta: a)** FROM escolhe a imagem base.
"""


def _error(parse, text, **kwargs) -> QuizImportError:
    with pytest.raises(QuizImportError) as info:
        parse(text, **kwargs)
    return info.value


# -- lesson text -----------------------------------------------------------------------


def test_real_lesson_gives_five_questions():
    quiz = parse_file(LESSON)
    assert quiz.title == "Aula 45 – Containerização com Docker"
    assert quiz.slug == "aula-45"
    assert [q.key for q in quiz.questions] == ["q1", "q2", "q3", "q4", "q5"]
    assert [q.position for q in quiz.questions] == [1, 2, 3, 4, 5]
    for question in quiz.questions[:4]:
        assert question.kind == "single"
        assert [c.key for c in question.choices] == ["a", "b", "c", "d"]
        assert [c.key for c in question.choices if c.is_correct] == ["c"]
        assert question.explanation
    q3 = quiz.questions[2]
    assert q3.choices[2].text == "`docker run -d -p 8080:5000 minha-app-ml`"  # inline code kept
    assert q3.explanation == "`docker run -d -p 8080:5000 minha-app-ml`"
    assert quiz.questions[1].explanation == "RUN"
    essay = quiz.questions[4]
    assert essay.kind == "essay" and essay.choices == []
    assert essay.text.startswith("Explique como a containerização com Docker")


def test_lesson_headings_inside_code_fences_are_not_sections():
    text = "# Aula 9 – X\n\n```dockerfile\n# Gabarito\n## Autoavaliação\n```\n"
    error = _error(parse_lesson, text, source="aula.md")
    assert "Autoavaliação" in error.message and error.line is None


def test_lesson_errors_name_the_line():
    error = _error(parse_lesson, MINI_LESSON.replace("- b) RUN\n", ""), source="aula.md")
    assert error.line == 5 and "1 alternativa(s)" in error.message
    assert str(error).startswith("aula.md, linha 5: ")

    error = _error(parse_lesson, MINI_LESSON.replace("**Resposta: a)**", "**Resposta: e)**"))
    assert error.line == 20 and "e)" in error.message and "a), b)" in error.message

    error = _error(parse_lesson, MINI_LESSON.split("# Gabarito")[0])
    assert error.line == 5 and "Gabarito" in error.message

    error = _error(parse_lesson, MINI_LESSON.replace("## Autoavaliação", "## Exercícios"))
    assert error.line is None and "## Autoavaliação" in error.message


def test_import_errors_are_said_in_either_language():
    error = _error(parse_lesson, MINI_LESSON.replace("- b) RUN\n", ""), source="aula.md")
    assert error.describe("en") == (
        "aula.md, line 5: question 1 has 1 option(s); expected at least 2 in the form "
        "'- a) text' (or mark it as '(Dissertativa)')."
    )
    assert (
        error.describe("pt-BR")
        == str(error)
        == (
            "aula.md, linha 5: a Questão 1 tem 1 alternativa(s); esperado "
            "pelo menos 2 no formato '- a) texto' (ou marque-a como "
            "'(Dissertativa)')."
        )
    )
    # A problem inside a question and a docker command's own error are said in the same language.
    error = _error(
        parse_yaml,
        "title: T\nslug: t\nquestions:\n  - {key: a, kind: command, text: Q, expected_command: 'podman ps'}\n",
        source="q.yaml",
    )
    assert error.describe("en") == (
        "q.yaml, line 4: question 'a': expected_command 'podman ps' is not a readable "
        "docker command: The command should start with docker, but it starts with podman."
    )
    assert error.message == (
        "questão 'a': expected_command 'podman ps' não é um comando docker legível: "
        "O comando deveria começar com docker, mas começou com podman."
    )


def test_lesson_mini_parses_and_essay_has_no_choices():
    quiz = parse_lesson(MINI_LESSON)
    assert quiz.slug == "aula-7"
    assert quiz.questions[0].explanation == "FROM escolhe a imagem base."
    assert quiz.questions[1].kind == "essay"


# -- GIFT ------------------------------------------------------------------------------


def test_gift_question_types():
    quiz = parse_file(DATA / "docker.gift")
    assert quiz.slug == "docker"
    by_key = {q.key: q for q in quiz.questions}
    # ::title:: gives the key (as a slug, like the database column); otherwise the first words
    assert list(by_key) == [
        "instrucao-run",
        "conteineres-compartilham-o-kernel-do-sistema",
        "porta",
        "boas-praticas",
        "reprodutibilidade",
        "use-chaves-e-o-sinal-no",
    ]

    run = by_key["instrucao-run"]
    assert run.kind == "single"
    assert run.text == "Em um Dockerfile, qual instrução instala dependências\ndurante o **build** da imagem?"
    assert [(c.text, c.is_correct) for c in run.choices] == [
        ("RUN", True),
        ("FROM", False),
        ("COPY", False),
        ("CMD", False),
    ]
    assert run.choices[0].feedback == "Isso: RUN executa comandos durante o build."

    true_false = by_key["conteineres-compartilham-o-kernel-do-sistema"]
    assert [(c.text, c.is_correct, c.feedback) for c in true_false.choices] == [
        ("Verdadeiro", True, "Certo!"),
        ("Falso", False, "Releia a comparação com VMs."),
    ]

    port = by_key["porta"]
    assert port.choices[0].text == "-p 8080:5000"  # \: unescaped
    assert (port.choices[1].is_correct, port.choices[1].fraction) == (False, 0.5)
    assert port.explanation == "A opção -p (--publish) recebe host:contêiner."

    practices = by_key["boas-praticas"]
    assert practices.kind == "multiple"
    assert [(c.is_correct, c.fraction) for c in practices.choices] == [(True, 0.5), (True, 0.5), (False, -1.0)]

    assert by_key["reprodutibilidade"].kind == "essay"
    escaped = by_key["use-chaves-e-o-sinal-no"]
    assert escaped.text == "Use {chaves} e o sinal = no texto: isto é uma máquina virtual?"
    assert [c.is_correct for c in escaped.choices] == [False, True]


def test_gift_file_with_errors_names_the_line_and_type():
    with pytest.raises(QuizImportError) as info:
        parse_file(DATA / "erros.gift")
    assert info.value.line == 5
    assert "associação" in info.value.message
    assert str(info.value).startswith("erros.gift, linha 5:")


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("Q1 {=a ~b}\n\nQuanto é 2+2? {#quatro}", 3, "numérica"),
        ("Capital? {=%50%Brasília =%20%Brasilia}", 1, "100%"),
        ("Q {=a -> b}", 1, "pelo menos 2 pares"),
        ("// c\n::T::Pergunta {\n=a\n~b\n\n::U:: outra {=x ~y}", 2, "não foi fechado"),
        ("Texto solto sem respostas", 1, "bloco de respostas"),
        ("Q {~a ~b}", 1, "nenhuma resposta correta"),
        ("Q {=a ~b}\n\nQ2 {=a =b ~c}", 3, "exatamente uma"),
        ("// [id:k]\n::K:: Q {=a ~b}\n\n// [id:k]\n::K:: Q2 {=a ~b}", 5, "chave repetida"),
        ("Q {~%50%a ~%20%b ~c}", 1, "somar 1"),
    ],
)
def test_gift_errors(text, line, words):
    error = _error(parse_gift, text, source="x.gift")
    assert error.line == line, str(error)
    assert words in error.message, str(error)


# -- Aiken -----------------------------------------------------------------------------


def test_aiken_file():
    quiz = parse_file(DATA / "docker.aiken")
    assert [q.key for q in quiz.questions] == ["q1", "q2"]
    assert [c.key for c in quiz.questions[0].choices if c.is_correct] == ["a"]
    second = quiz.questions[1]
    assert second.text.startswith("Qual comando executa um contêiner em segundo plano,\npublicando")
    assert [c.key for c in second.choices if c.is_correct] == ["c"]
    assert second.choices[2].text == "docker run -d -p 8080:5000 minha-app-ml"


def test_aiken_file_with_errors():
    with pytest.raises(QuizImportError) as info:
        parse_file(DATA / "erros.aiken")
    assert info.value.line == 9 and "ANSWER: E" in info.value.message


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("Pergunta?\nA. um\nB. dois\n\nOutra?\nA. x\nB. y\nANSWER: A", 1, "ANSWER"),
        ("Pergunta?\nA. um\nB. dois", 1, "ANSWER"),
        ("Pergunta?\nA. um\nANSWER: A", 1, "pelo menos 2"),
        ("A. solta\nB. outra\nANSWER: A", 1, "antes de qualquer enunciado"),
        ("Pergunta?\nA. um\nB. dois\nANSWER: 2", 4, "uma só letra"),
    ],
)
def test_aiken_errors(text, line, words):
    error = _error(parse_aiken, text, source="x.aiken")
    assert (error.line, words in error.message) == (line, True), str(error)


# -- YAML ------------------------------------------------------------------------------


def test_yaml_file():
    quiz = parse_file(DATA / "docker.yaml")
    command, multiple, essay = quiz.questions
    assert (command.kind, command.points, command.expected_command) == (
        "command",
        2.0,
        "docker run -d -p 8080:5000 minha-app-ml",
    )
    assert [(c.key, c.fraction) for c in multiple.choices] == [("a", 0.5), ("b", 0.5), ("c", -1.0)]
    assert essay.explanation.startswith("Um processo isolado")


@pytest.mark.parametrize("path", [DATA / "docker.yaml", DATA / "docker.gift", DATA / "docker.aiken", LESSON])
def test_yaml_round_trip(path):
    quiz = parse_file(path)
    # GIFT gives questions a label and a category; until the YAML carries them (its schema
    # grows with the question bank) they are left out of the comparison, and only they.
    for question in quiz.questions:
        for name in ("name", "category"):
            if name not in yamlfile._Question.model_fields:
                setattr(question, name, "")
    assert parse_yaml(dump_yaml(quiz)) == quiz


def test_yaml_round_trip_of_hand_built_quiz():
    quiz = QuizData(
        title="T",
        slug="t",
        description="linha 1\nlinha 2",
        questions=[
            QuestionData(
                key="m",
                kind="multiple",
                text="Várias\nlinhas",
                points=1.5,
                choices=[
                    ChoiceData("a", "um", True),
                    ChoiceData("b", "dois", True),
                    ChoiceData("c", "três", True),
                    ChoiceData("d", "quatro", False, -0.5, "não"),
                ],
            ),
            QuestionData(key="c", kind="command", text="Liste tudo", expected_command="docker ps -a"),
        ],
    )
    finalize(quiz)  # what every parser does: positions, thirds of the credit
    assert [c.fraction for c in quiz.questions[0].choices[:3]] == [1 / 3] * 3
    parsed = parse_yaml(dump_yaml(quiz))
    assert parsed == quiz
    assert abs(sum(c.fraction for c in parsed.questions[0].choices if c.is_correct) - 1) < 1e-9


@pytest.mark.parametrize(
    "text, line, words",
    [
        (
            "title: T\nslug: t\nquestions:\n  - key: a\n    text: Q\n    choices:\n      - text: x\n        corect: true\n",
            8,
            "questions[0].choices[0].corect: campo desconhecido",
        ),
        (
            "title: T\nslug: t\nquestions:\n  - key: a\n    kind: unica\n    text: Q\n",
            5,
            "questions[0].kind: valor inválido",
        ),
        (
            "title: T\nslug: t\nquestions:\n  - key: a\n    text: Q\n  - text: R\n",
            6,
            "questions[1].key: campo obrigatório",
        ),
        (
            "title: T\nslug: t\nquestions:\n  - key: a\n    kind: command\n    text: Q\n    expected_command: ls -l\n",
            4,
            "não é um comando docker",
        ),
        (
            "title: T\nslug: t\nquestions:\n  - key: a\n    text: Q\n    choices:\n      - text: x\n      - text: y\n",
            4,
            "exatamente uma",
        ),
        ("title: T\nslug: t\nquestions: [\n", 4, "YAML inválido"),
        ("title: T\nslug: com espaço\nquestions:\n  - {key: a, kind: essay, text: Q}\n", None, "slug inválido"),
        (
            "title: T\nslug: t\nquestions:\n  - {key: a, kind: essay, text: Q}\n  - {key: q 2, kind: essay, text: R}\n",
            5,
            "chave inválida",
        ),
    ],
)
def test_yaml_errors(text, line, words):
    error = _error(parse_yaml, text, source="q.yaml")
    assert error.line == line, str(error)
    assert words in error.message, str(error)


# -- parse_file and isolation ------------------------------------------------------------


def test_parse_file_format_override_and_unknown_extension(tmp_path):
    aiken_as_txt = tmp_path / "perguntas.txt"
    aiken_as_txt.write_text((DATA / "docker.aiken").read_text(encoding="utf-8"), encoding="utf-8")
    assert len(parse_file(aiken_as_txt, fmt="aiken").questions) == 2
    with pytest.raises(QuizImportError, match="extensão '.csv'"):
        parse_file(tmp_path / "x.csv")
    latin1 = tmp_path / "q.gift"
    latin1.write_bytes("Questão {=a ~b}".encode("latin-1"))
    with pytest.raises(QuizImportError, match="UTF-8"):
        parse_file(latin1)


def test_importers_and_command_parser_do_not_import_django():
    code = (
        "import sys, quizzes.importers, quizzes.docker_command; "
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
