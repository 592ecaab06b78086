"""Moodle XML: a bank as Moodle exports it, unsupported types, hostile files and round trips.
Pure Python (the importers need no Django), except the database round trip at the end."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from common.markdown_html import render_markdown
from quizzes.importers import (
    ChoiceData,
    DrawData,
    QuestionData,
    QuizData,
    QuizImportError,
    UnitData,
    dump_moodle_xml,
    finalize,
    parse_file,
    parse_moodle_xml,
)
from quizzes.importers.moodlexml import category_path

DATA = Path(__file__).parent / "data"
BANK = DATA / "docker-moodle.xml"
UNSUPPORTED = DATA / "nao-suportadas-moodle.xml"


def _error(text: str, **kwargs) -> QuizImportError:
    with pytest.raises(QuizImportError) as info:
        parse_moodle_xml(text, source="banco.xml", **kwargs)
    return info.value


def _xml(*questions: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n"


def _q(kind: str, name: str, body: str = "", text: str = "Enunciado") -> str:
    return (
        f'<question type="{kind}"><name><text>{name}</text></name>'
        f'<questiontext format="html"><text>{text}</text></questiontext>{body}</question>'
    )


def _c(key, text, correct, fraction, feedback="", tolerance=0.0, match=""):
    return ChoiceData(key, text, correct, fraction, feedback, tolerance, match)


EXPECTED = [
    QuestionData(
        key="q-from",  # from <idnumber>
        kind="single",
        text="<div>\n<p>Qual instrução do <strong>Dockerfile</strong> define a imagem base?</p>\n</div>",
        points=2.0,
        explanation="<div>\n<p>Todo Dockerfile começa com <code>FROM</code>.</p>\n</div>",
        choices=[
            _c("a", "<div>\n<p>FROM</p>\n</div>", True, 1.0, "Isso: a imagem base vem primeiro."),
            _c(
                "b",
                "<div>\n<p>RUN</p>\n</div>",
                False,
                0.0,
                "<div>\n<p>RUN executa um comando <em>durante</em> o build.</p>\n</div>",
            ),
            _c("c", "<div>\n<p>CMD</p>\n</div>", False, -0.5),
        ],
        position=1,
        name="Imagem base",
        category="Docker/Imagens",
        penalty=0.3333333,
        feedback_correct="Sua resposta está correta.",
        feedback_partial="Sua resposta está parcialmente correta.",
        feedback_incorrect="Sua resposta está incorreta.",
    ),
    QuestionData(
        key="instrucoes-que-criam-camadas",
        kind="multiple",
        text="Quais instruções criam camadas na imagem?<br>\nMarque todas.",  # auto-format: a line break
        choices=[
            _c("a", "RUN", True, 0.3333333),
            _c("b", "COPY", True, 0.3333333),
            _c("c", "ADD", True, 0.3333333),
            _c("d", "EXPOSE", False, -1.0, "EXPOSE só documenta a porta."),
        ],
        position=2,
        name="Instruções que criam camadas",
        category="Docker/Imagens",
        penalty=0.3333333,
    ),
    QuestionData(
        key="camadas-sao-somente-leitura",
        kind="single",
        text="As camadas de uma imagem são somente leitura &amp; compartilhadas entre contêineres.",
        choices=[
            _c("a", "Verdadeiro", True, 1.0, "Certo: a escrita vai para a camada do contêiner."),
            _c("b", "Falso", False, 0.0, "Errado: elas são somente leitura."),
        ],
        position=3,
        name="Camadas são somente leitura",
        category="Docker/Imagens",
        penalty=1.0,
    ),
    QuestionData(
        key="imagem-base",  # the same name as the first question: names are labels, not keys
        kind="shortanswer",
        text="Complete: `docker ____ nginx` baixa a imagem sem rodá-la.",
        choices=[
            _c("a", "pull", True, 1.0, "Isso."),
            _c("b", "image pull", True, 0.5, "Também funciona, mas é mais longo."),
            _c("c", "*", False, 0.0, "Veja docker pull."),
        ],
        position=4,
        name="Imagem base",
        category="Docker/Imagens",
        case_sensitive=True,
        penalty=0.1,
    ),
    QuestionData(
        key="porta-publicada",
        kind="numerical",
        text="<div>\n<p>Em <code>docker run -p 8080:80 nginx</code>, qual porta do host atende?</p>\n</div>",
        choices=[
            _c("a", "8080", True, 1.0),
            _c("b", "*", False, 0.0, "A porta do host vem antes dos dois-pontos."),
        ],
        position=5,
        name="Porta publicada",
        category="Docker/Redes",
        penalty=0.3333333,
    ),
    QuestionData(
        key="alpine-size",
        kind="numerical",
        text="<div>\n<p>A imagem <code>alpine</code> tem cerca de quantos MB?</p>\n</div>",
        points=1.5,
        choices=[_c("a", "7.5", True, 1.0, tolerance=2.5), _c("b", "7.5", True, 0.5, "Perto.", tolerance=10.0)],
        position=6,
        name="Tamanho da imagem",
        category="Docker/Redes",
        units=[UnitData("MB", 1.0), UnitData("GB", 0.001)],
        penalty=0.3333333,
    ),
    QuestionData(
        key="drivers-de-rede",
        kind="matching",
        text="<div>\n<p>Associe cada driver de rede ao que ele faz.</p>\n</div>",
        points=3.0,
        choices=[
            _c("a", "<div>\n<p>bridge</p>\n</div>", True, 0.0, match="rede privada no host"),
            _c("b", "<div>\n<p>host</p>\n</div>", True, 0.0, match="usa a rede do host"),
            _c("c", "<div>\n<p>none</p>\n</div>", True, 0.0, match="sem rede"),
            _c("d", "", False, 0.0, match="rede entre vários hosts"),  # empty stem: a distractor
        ],
        position=7,
        name="Drivers de rede",
        category="Docker/Redes",
        penalty=0.3333333,
        feedback_correct="Tudo certo.",
        feedback_partial="Alguns pares certos.",
        feedback_incorrect="Reveja os drivers.",
    ),
    QuestionData(
        key="redes-definidas-pelo-usuario",
        kind="essay",
        text="Explique por que contêineres numa rede definida pelo usuário se acham pelo nome.",
        points=5.0,
        position=8,
        name="Redes definidas pelo usuário",
        category="Docker/Redes",
    ),
]


def test_the_bank_as_moodle_exports_it_gives_exactly_the_expected_questions():
    quiz = parse_file(BANK)
    assert (quiz.title, quiz.slug) == ("docker-moodle", "docker-moodle")
    assert quiz.questions == EXPECTED
    # Moodle takes a share off for a wrong unit; what is applied here is said, never silently.
    assert [note.describe("en") for note in quiz.notes] == [
        "docker-moodle.xml, line 191: question 'Tamanho da imagem': Moodle applies a 10% penalty for a "
        "wrong or missing unit; here the unit is optional: a number without a unit is read in 'MB', and an unknown "
        "unit scores 0."
    ]


def test_unsupported_types_and_parts_are_all_listed_with_name_and_line():
    with pytest.raises(QuizImportError) as info:
        parse_file(UNSUPPORTED)
    error = info.value
    assert [(e.line, e.describe("en").split(": ", 1)[1]) for e in error.errors] == [
        (9, "question 'Sobre volumes' is of Moodle type 'description', which Estaleiro does not support."),
        (38, "question 'Lacunas do docker run' is of Moodle type 'multianswer', which Estaleiro does not support."),
        (
            53,
            "question 'Diagrama de volumes': not supported: embedded file 'volumes.png' (images and "
            "attachments are not imported).",
        ),
        (67, "question 'Espaço em disco' is of Moodle type 'calculated', which Estaleiro does not support."),
        (76, "question 'Arraste as opções' is of Moodle type 'ddwtos', which Estaleiro does not support."),
    ]
    assert all(getattr(e, "skippable", False) for e in error.errors)  # import_quiz offers --skip-unsupported
    assert str(error).count("nao-suportadas-moodle.xml, linha ") == 5  # pt-BR, one per line

    quiz = parse_file(UNSUPPORTED, skip_unsupported=True)
    assert [q.key for q in quiz.questions] == [
        "volume-sobrevive-ao-conteiner",
        "diagrama-de-volumes",  # kept, without its image
        "comando-que-lista-volumes",
    ]
    assert {q.category for q in quiz.questions} == {"Padrão para Docker/Volumes"}  # $system$/top/ dropped
    assert "<img" not in quiz.questions[1].text and "@@PLUGINFILE@@" not in quiz.questions[1].text
    assert [note.line for note in quiz.notes] == [9, 38, 53, 67, 76]  # what was skipped is listed


def test_every_problem_of_the_file_is_reported_at_once():
    text = _xml(
        _q(
            "multichoice",
            "Sem certa",
            '<single>true</single><answer fraction="0"><text>a</text></answer>'
            '<answer fraction="0"><text>b</text></answer>',
        ),
        _q("cloze", "Lacunas"),
        _q(
            "shortanswer",
            "Nota estranha",
            '<defaultgrade>muito</defaultgrade><answer fraction="100"><text>x</text></answer>',
        ),
        _q("numerical", "Sem cem por cento", '<answer fraction="50"><text>3</text></answer>'),
        _q("truefalse", "Verdadeiro ou falso sem respostas"),
    )
    error = _error(text, skip_unsupported=True)
    problems = [e.describe("en") for e in error.errors]
    assert len(problems) == 4  # the cloze is skipped; the four broken ones are all listed
    assert "single choice needs exactly one right option" in problems[0]
    assert "'muito' is not a number" in problems[1]
    assert "one of them must be worth 100%" in problems[2]
    assert "needs the answers 'true' and 'false'" in problems[3]
    assert all(", line " in p for p in problems)
    assert len(_error(text).errors) == 5  # without skipping, the cloze is one more


def test_keys_come_from_idnumber_else_the_name_made_unique_by_position():
    mc = '<single>true</single><answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>'
    quiz = parse_moodle_xml(
        _xml(
            _q("multichoice", "Portas", mc),
            _q("multichoice", "Portas", mc),
            _q("multichoice", "Outra", mc + "<idnumber>portas</idnumber>"),
        ),
        source="b.xml",
    )
    assert [(q.key, q.name) for q in quiz.questions] == [
        ("portas-2", "Portas"),
        ("portas-3", "Portas"),
        ("portas", "Outra"),
    ]
    error = _error(
        _xml(
            _q("multichoice", "A", mc + "<idnumber>x</idnumber>"), _q("multichoice", "B", mc + "<idnumber>x</idnumber>")
        )
    )
    assert "repeated key" in error.describe("en")


@pytest.mark.parametrize(
    ("moodle", "ours"),
    [
        ("$course$/top/Docker/Redes", "Docker/Redes"),
        ("$course$/Docker/Redes", "Docker/Redes"),
        ("$module$/top/Docker", "Docker"),
        ("$system$/top", ""),
        ("top/Docker/ Volumes /", "Docker/Volumes"),
        ("Docker/top/Redes", "Docker/top/Redes"),  # only a leading top is Moodle's
    ],
)
def test_category_paths(moodle, ours):
    assert category_path(moodle) == ours


def test_every_text_is_shown_as_moodle_shows_it():
    """Texts go through the shared conversion (textformat.py): what a learner's page shows."""
    first, layers, truth = parse_file(BANK).questions[:3]
    assert (
        render_markdown(first.text).strip()
        == "<p>Qual instrução do <strong>Dockerfile</strong> define a imagem base?</p>"
    )
    assert render_markdown(layers.text) == "<p>Quais instruções criam camadas na imagem?<br>\nMarque todas.</p>"
    assert "somente leitura &amp; compartilhadas" in render_markdown(truth.text)


# -- hostile files -----------------------------------------------------------------------------


def test_an_external_entity_that_reads_a_server_file_is_refused(tmp_path):
    secret = tmp_path / "segredo.txt"
    secret.write_text("senha-do-servidor")
    text = (
        f'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<quiz><question type="essay"><name><text>&xxe;</text></name></question></quiz>'
    )
    error = _error(text)
    assert error.line == 2 and "DTD" in error.describe("en") and "refused" in error.describe("en")
    assert "senha-do-servidor" not in str(error)
    # a DTD from the network is refused before anything is fetched
    error = _error('<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "http://192.0.2.1/quiz.dtd">\n<quiz/>')
    assert "DTD" in error.describe("en")


def test_an_entity_expansion_bomb_is_refused():
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    text = f'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY lol0 "lol">{lol}]>\n<quiz>&lol9;</quiz>'
    error = _error(text)
    assert error.line == 2 and "DTD" in error.describe("en")


def test_a_file_too_large_is_refused_before_it_is_read():
    text = _xml("<!--" + "x" * (20 * 1024 * 1024) + "-->")
    error = _error(text)
    assert error.describe("en") == "banco.xml: the file has 20.0 MB; the maximum for a Moodle XML file is 16 MB."


def test_invalid_utf8_not_xml_and_a_wrong_root_are_refused(tmp_path):
    bad = tmp_path / "latin1.xml"
    bad.write_bytes(_xml(_q("essay", "Questão")).encode("latin-1"))
    with pytest.raises(QuizImportError, match=r"latin1\.xml, linha 3: o arquivo não está em UTF-8"):
        parse_file(bad)
    error = _error("Isto não é XML: docker ps")
    assert error.line == 1 and "not well-formed XML (syntax error)" in error.describe("en")
    error = _error(_xml(_q("essay", "sem fim")).replace("</quiz>", ""))
    assert "not well-formed XML (no element found)" in error.describe("en")
    error = _error('<?xml version="1.0"?>\n<html><body>oi</body></html>')
    assert error.line == 2 and "root element is <html>" in error.describe("en")
    assert "no question found" in _error(_xml()).describe("en")


# -- export and round trips ----------------------------------------------------------------------


def _shape(quiz: QuizData) -> list[tuple]:
    """What a question is, to compare a bank with its trip through Moodle XML (Moodle trims texts;
    a question without a name gets its key as name, Moodle requires one)."""
    return [
        (
            q.kind,
            q.key,
            q.text.strip(),
            q.explanation.strip(),
            q.category,
            q.points,
            q.penalty,
            q.expected_command,
            q.case_sensitive,
            q.units,
            q.feedback_correct,
            q.feedback_partial,
            q.feedback_incorrect,
            [(c.key, c.text, c.is_correct, round(c.fraction, 5), c.tolerance, c.match, c.feedback) for c in q.choices],
        )
        for q in quiz.questions
    ]


def _every_kind() -> QuizData:
    quiz = QuizData(
        title="Banco",
        slug="banco",
        questions=[
            *EXPECTED,
            QuestionData(
                key="rodar-nginx",
                kind="command",
                text="Rode o nginx em segundo plano na porta 8080.",
                expected_command="docker run -d -p 8080:80 nginx",
                name="Rodar nginx",
                category="Docker/Comandos",
            ),
            QuestionData(
                key="texto-com-cdata",
                name="Texto com CDATA",
                kind="multiple",
                text="Texto com ]]> e <tags> e `código`",
                explanation="## Gabarito\n\n- um\n- dois",
                choices=[_c("a", "sim & não", True, 0.5), _c("b", "talvez", True, 0.5), _c("c", "nunca", False, 0.0)],
            ),
        ],
    )
    return finalize(quiz)


def test_quiz_to_xml_to_quiz_is_the_same_for_every_kind():
    quiz = _every_kind()
    xml = dump_moodle_xml(quiz)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n')
    assert xml.count('<question type="category">') == 4  # Imagens, Redes, Comandos, then back to none
    assert "<text>$course$/top/Docker/Redes</text>" in xml and "<text>$course$/top</text>" in xml
    assert '<question type="truefalse">' in xml and "<estaleiro_kind>command</estaleiro_kind>" in xml
    assert '<answer fraction="33.33333" format="markdown">' in xml and 'fraction="-100"' in xml
    back = parse_moodle_xml(xml, source="banco.xml")
    assert back.questions == quiz.questions
    assert parse_moodle_xml(dump_moodle_xml(back), source="banco.xml").questions == quiz.questions


@pytest.mark.django_db
def test_database_to_moodle_xml_and_into_a_new_quiz_gives_the_same_questions(tmp_path):
    from quizzes.bank import quiz_import
    from quizzes.models import Quiz
    from quizzes.selectors import quiz_data

    quiz = _every_kind()
    quiz.draws = [DrawData("Docker/Redes", 2)]
    quiz_import(data=quiz)

    out = io.StringIO()
    call_command("export_quiz", "banco", stdout=out)
    exported = tmp_path / "banco-exportado.xml"
    exported.write_text(out.getvalue(), encoding="utf-8")
    out = io.StringIO()
    call_command("import_quiz", str(exported), stdout=out)
    assert out.getvalue().startswith("quiz banco-exportado created: 10 question(s) new, 0 updated")

    def shape(slug):
        return _shape(quiz_data(quiz=Quiz.objects.get(slug=slug)))

    assert shape("banco-exportado") == shape("banco")
    assert len(shape("banco")) == 10

    target = tmp_path / "banco.xml"
    errors = io.StringIO()
    call_command("export_quiz", "banco", "--format", "moodlexml", "-o", str(target), stderr=errors)
    assert target.read_text(encoding="utf-8") == dump_moodle_xml(quiz_data(quiz=Quiz.objects.get(slug="banco")))
    assert "10 question(s) of banco written to" in errors.getvalue()
    with pytest.raises(CommandError, match="no quiz with slug 'nada'"):
        call_command("export_quiz", "nada")


@pytest.mark.django_db
def test_import_command_on_moodle_xml_with_and_without_skipping(tmp_path):
    with pytest.raises(CommandError) as info:
        call_command("import_quiz", str(UNSUPPORTED))
    message = str(info.value).splitlines()
    assert message[0] == "5 problems in nao-suportadas-moodle.xml; nothing was imported:"
    assert message[2].startswith("nao-suportadas-moodle.xml, linha 38: a questão 'Lacunas do docker run' é do tipo")
    assert message[-1].startswith("--skip-unsupported leaves out the unsupported questions and parts")
    out = io.StringIO()
    call_command("import_quiz", str(UNSUPPORTED), "--skip-unsupported", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "quiz nao-suportadas-moodle created: 3 question(s) new, 0 updated"
    assert lines[1] == "left out or changed (5):"
    assert lines[2].startswith("- nao-suportadas-moodle.xml, linha 9: ") and "'Sobre volumes'" in lines[2]
    assert len(lines) == 7
    out = io.StringIO()
    call_command("import_quiz", str(BANK), "--format", "moodlexml", stdout=out)
    assert "quiz docker-moodle created: 8 question(s) new" in out.getvalue()
    assert "linha 191" in out.getvalue()  # the unit penalty note
    with pytest.raises(CommandError, match="--skip-unsupported applies to Moodle XML files only"):
        call_command("import_quiz", str(DATA / "docker.gift"), "--skip-unsupported")


@pytest.mark.django_db
def test_the_class_teacher_downloads_the_quiz_bank_from_its_statistics_page(client, instructor, learner):
    from django.urls import reverse

    from quizzes.models import Quiz
    from quizzes.selectors import quiz_data
    from tests.factories import default_class, quiz_from_content

    quiz = quiz_from_content()
    url = reverse("quizzes:bank-xml", args=[default_class().pk, quiz.slug])
    client.force_login(instructor)
    stats = client.get(reverse("quizzes:stats", args=[default_class().pk, quiz.slug])).content.decode()
    assert f'href="{url}" download>Questões em Moodle XML</a>' in stats
    response = client.get(url)
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="aula-45-moodle.xml"'
    back = parse_moodle_xml(response.content.decode(), source="aula-45.xml")
    assert _shape(back) == _shape(quiz_data(quiz=Quiz.objects.get(slug="aula-45")))
    assert [q.kind for q in back.questions] == ["single"] * 4 + ["essay"] + ["command"] * 6
    client.force_login(learner)  # the answer key is in the file: never a learner's
    assert client.get(url).status_code == 403
