"""GIFT as Moodle writes it and Aiken, and every problem of a file listed at once.

tests/quizzes/data/moodle.gift has each construct of Moodle's own GIFT test fixtures (names,
comments with [id:] and [tag:], categories, every kind, weights, feedback, general feedback,
every format tag on texts, answers and feedback, escapes, gaps, repeated names) with our texts.
"""

import pytest

from common.markdown_html import render_markdown, render_markdown_inline
from quizzes.importers import ChoiceData, QuestionData, QuizData, QuizImportError, parse_aiken, parse_file, parse_gift

from .test_importers import DATA

C = ChoiceData


def Q(key, kind, text, *, position, name="", category="", choices=(), explanation=""):
    return QuestionData(
        key=key,
        kind=kind,
        text=text,
        position=position,
        name=name,
        category=category,
        choices=list(choices),
        explanation=explanation,
    )


IMAGES, NETWORKS, COMMANDS = "Docker/Imagens", "Docker/Redes", "Docker/Comandos"
TRUE_FALSE = ("Verdadeiro", "Falso")

EXPECTED = QuizData(
    title="moodle",
    slug="moodle",
    questions=[
        Q("q8", "essay", "Como você descreveria uma imagem?", position=1, name="Q8", category=IMAGES),
        Q(
            "instrucoes",
            "matching",
            "<div>\nAssocie cada <strong>instrução</strong> ao que ela faz.\n</div>",
            position=2,
            name="Instruções",
            category=IMAGES,
            choices=[
                C("a", "<div>\nDefine a <em>imagem base</em>.\n</div>", True, match="FROM"),
                C("b", "Executa um comando durante o \\*build\\*.", True, match="RUN"),
                C("c", "Copia arquivos do contexto &lt;para> a imagem.", True, match="COPY"),
                C("d", "Define o comando **padrão** do contêiner.", True, match="CMD"),
                C("e", "", False, match="EXPOSE"),
            ],
        ),
        Q(
            "base-slim",  # from the comment's [id:base-slim], not from the name Q2
            "single",
            "Qual imagem base costuma ser a menor?",
            position=3,
            name="Q2",
            category=IMAGES,
            choices=[
                C("a", "alpine", True, 1.0, "certo; muito bem!"),
                C("b", "ubuntu", False, 0.0, "<div>\nerrado, é a <strong>alpine</strong>\n</div>"),
                C("c", "debian \\*full\\*", False, 0.0, "errado, é a alpine"),
            ],
        ),
        Q(
            "portas",
            "multiple",
            "Quais opções publicam portas?",
            position=4,
            name="portas",
            category=NETWORKS,
            choices=[
                C("a", "-p", True, 0.5, "certo; bom!"),
                C("b", "--network", False, -1.0, "errado"),
                C("c", "-P", True, 0.5, "certo; bom!"),
                C("d", "--link", False, -1.0, "errado"),
            ],
        ),
        Q(
            "portas-2",
            "multiple",
            "Qual opção publica todas as portas expostas?",
            position=5,
            name="portas",
            category=NETWORKS,
            choices=[
                C("a", "-P", True, 1.0, "certo; bom!"),
                C("b", "-p", False, -0.5, "errado"),
                C("c", "-e", False, -0.5, "errado"),
            ],
        ),
        Q(
            "q5",
            "numerical",
            "Quantas camadas tem uma imagem de 1 a 5 instruções RUN?",
            position=6,
            name="Q5",
            category=NETWORKS,
            choices=[C("a", "3", True, 1.0, tolerance=2.0), C("b", "*", False, 0.0, "Completamente errado")],
        ),
        Q(
            "faixa",
            "numerical",
            "Qual porta entre 8000 e 8100 serve?",
            position=7,
            name="Faixa",
            category=NETWORKS,
            choices=[C("a", "8050", True, 1.0, tolerance=50.0)],
        ),
        Q(
            "porta-do-flask",
            "numerical",
            "Em que porta o Flask escuta por padrão?",
            position=8,
            name="Porta do Flask",
            category=NETWORKS,
            explanation="O Flask usa **5000**.",
            choices=[
                C("a", "5000", True, 1.0, "Isso!"),
                C("b", "5000", True, 0.5, "Quase.", tolerance=100.0),
                C("c", "*", False, 0.0, "Reveja a Aula 45."),
            ],
        ),
        Q(
            "resposta-curta",
            "shortanswer",
            "Qual comando lista os contêineres?",
            position=9,
            name="Resposta curta",
            category=COMMANDS,
            explanation="<div>\nVeja <code>docker ps --help</code>.\n</div>",
            choices=[
                C("a", "docker ps", True, 1.0, "Boa!"),
                C("b", "docker container ls", True, 0.5, "Também vale, mas é mais longo."),
                C("c", "*", False, 0.0, "Completamente errado"),
            ],
        ),
        Q(
            "q1",
            "single",
            "Um contêiner é uma máquina virtual.",
            position=10,
            name="Q1",
            category=COMMANDS,
            explanation="Contêineres são processos isolados.",
            choices=[
                C("a", "Verdadeiro", False, 0.0, "Não: ele compartilha o kernel."),
                C("b", "Falso", True, 1.0, "Você acertou."),
            ],
        ),
        Q(
            "2-08-tsl",
            "single",
            "O Docker usa namespaces.",
            position=11,
            name="2-08 TSL",
            category=COMMANDS,
            choices=[C("a", "Verdadeiro", True, 1.0), C("b", "Falso", False, 0.0)],
        ),
        Q(
            "2-08-tsl-2",  # the same name again: a label, not a key
            "single",
            "O Docker usa cgroups.",
            position=12,
            name="2-08 TSL",
            category=COMMANDS,
            choices=[C("a", "Verdadeiro", True, 1.0), C("b", "Falso", False, 0.0)],
        ),
        Q(
            "escapes",
            "single",
            "Em 8080:5000, o que vem antes de : é a porta do host? Chaves { } e = ~ # ficam.\n"
            "Nova linha; barra \\ fica.",
            position=13,
            name="Escapes",
            category=COMMANDS,
            choices=[C("a", "Sim: host = 8080", True, 1.0, "Certo # sim"), C("b", "Não ~ nunca", False, 0.0)],
        ),
        Q(
            "a-instrucao-leva-arquivos-para-a",
            "single",
            "A instrução _____ leva arquivos para a imagem.",
            position=14,
            category=COMMANDS,
            choices=[C("a", "COPY", True, 1.0), C("b", "RUN", False, 0.0), C("c", "CMD", False, 0.0)],
        ),
        Q(
            "codigo",
            "essay",
            "<div>\n<p>O que este Dockerfile faz?</p>\n<pre>FROM python:3.12-slim\nRUN pip install flask { }\n</pre>\n</div>",
            position=15,
            name="Código",
            category=COMMANDS,
        ),
    ],
)


def test_gift_as_moodle_writes_it_gives_this_exact_quiz():
    assert parse_file(DATA / "moodle.gift") == EXPECTED


def test_gift_texts_render_as_moodle_shows_them():
    by_key = {q.key: q for q in parse_file(DATA / "moodle.gift").questions}
    matching = by_key["instrucoes"]
    assert render_markdown(matching.text).strip() == "Associe cada <strong>instrução</strong> ao que ela faz."
    stems = [render_markdown_inline(c.text) for c in matching.choices]
    assert stems == [
        "Define a <em>imagem base</em>.",  # [html]
        "Executa um comando durante o *build*.",  # [moodle]: shown as written
        "Copia arquivos do contexto &lt;para&gt; a imagem.",  # [plain]: the "tag" is text
        "Define o comando <strong>padrão</strong> do contêiner.",  # [markdown]
        "",
    ]
    feedbacks = [render_markdown_inline(c.feedback) for c in by_key["base-slim"].choices]
    assert feedbacks == ["certo; muito bem!", "errado, é a <strong>alpine</strong>", "errado, é a alpine"]
    assert render_markdown_inline(by_key["base-slim"].choices[2].text) == "debian *full*"


def test_gift_keys_are_stable_across_reimports_and_names_keep_their_slug():
    text = (DATA / "moodle.gift").read_text(encoding="utf-8")
    first = [q.key for q in parse_gift(text, source="moodle.gift").questions]
    assert first == [q.key for q in parse_gift(text, source="moodle.gift").questions]
    # An untitled question whose words slug to a later name does not take that name's key.
    text = "Porta padrão {=5000 ~80}\n\n::Porta padrão:: Qual? {=5000 ~80}\n\n::Porta padrão:: E esta? {=5000 ~80}"
    quiz = parse_gift(text)
    assert [(q.key, q.name) for q in quiz.questions] == [
        ("porta-padrao-3", ""),
        ("porta-padrao", "Porta padrão"),
        ("porta-padrao-2", "Porta padrão"),
    ]
    assert [q.key for q in parse_gift(text).questions] == [q.key for q in quiz.questions]


@pytest.mark.parametrize(
    "header, category",
    [
        ("$CATEGORY: $course$/top/Docker/Redes", "Docker/Redes"),
        ("$CATEGORY: $system$/top/Docker/Redes", "Docker/Redes"),
        ("$CATEGORY: $module$/top/Docker/Redes", "Docker/Redes"),
        ("$CATEGORY: top/Docker/Redes", "Docker/Redes"),
        ("$CATEGORY: $course$/Docker/Redes", "Docker/Redes"),
        ("$CATEGORY:  Docker / Redes / ", "Docker/Redes"),
        ("$CATEGORY: $course$/top", ""),
    ],
)
def test_gift_category_files_the_questions_after_it(header, category):
    quiz = parse_gift(f"::Antes:: Q {{=a ~b}}\n\n{header}\n\n::Depois:: Q {{=a ~b}}\n\n::Também:: Q {{T}}")
    assert [q.category for q in quiz.questions] == ["", category, category]


@pytest.mark.parametrize(
    "answers, kind, choices",
    [
        ("{=5000 =%50%cinco mil}", "shortanswer", [("5000", 1.0, ""), ("cinco mil", 0.5, "")]),
        ("{=a #certo =b}", "shortanswer", [("a", 1.0, "certo"), ("b", 1.0, "")]),
        ("{Brasília}", "shortanswer", [("Brasília", 1.0, "")]),
        ("{=docker * ls =%0%*#não}", "shortanswer", [("docker * ls", 1.0, ""), ("*", 0.0, "não")]),
        (
            "{=[plain]docker ps #[html]<b>boa</b>}",
            "shortanswer",
            [("docker ps", 1.0, "<div>\n<strong>boa</strong>\n</div>")],
        ),
        ("{#3:2}", "numerical", [("3", 1.0, "", 2.0)]),
        ("{#1..5}", "numerical", [("3", 1.0, "", 2.0)]),
        ("{#-5..-1}", "numerical", [("-3", 1.0, "", 2.0)]),
        ("{#3,5:0,5}", "numerical", [("3.5", 1.0, "", 0.5)]),
        ("{#*}", "numerical", [("*", 1.0, "", 0.0)]),
        ("{# =3:0 =%50%3:1 #perto}", "numerical", [("3", 1.0, "", 0.0), ("3", 0.5, "perto", 1.0)]),
        ("{#3~#[plain]*longe*}", "numerical", [("3", 1.0, "", 0.0), ("*", 0.0, "\\*longe\\*", 0.0)]),
        ("{=a -> 1 =b -> 2 = -> 3}", "matching", [("a", "1"), ("b", "2"), ("", "3")]),
        ("{=[plain]*a* -> 1 =b->2}", "matching", [("\\*a\\*", "1"), ("b", "2")]),
        ("{####Porque sim.}", "essay", []),
        (
            "{F#[html]<i>não</i>#sim####geral}",
            "single",
            [("Verdadeiro", 0.0, "<div>\n<em>não</em>\n</div>"), ("Falso", 1.0, "sim")],
        ),
        ("{~a ~%100%b}", "multiple", [("a", 0.0, ""), ("b", 1.0, "")]),
        ("{a ~b =c}", "single", [("a", 0.0, ""), ("b", 0.0, ""), ("c", 1.0, "")]),
    ],
)
def test_gift_answer_blocks_become_these_kinds(answers, kind, choices):
    question = parse_gift(f"::Q:: Pergunta? {answers}").questions[0]
    assert question.kind == kind
    if kind == "matching":
        assert [(c.text, c.match) for c in question.choices] == choices
    elif kind == "numerical":
        assert [(c.text, c.fraction, c.feedback, c.tolerance) for c in question.choices] == choices
    else:
        assert [(c.text, c.fraction, c.feedback) for c in question.choices] == choices
    if answers == "{####Porque sim.}":
        assert question.explanation == "Porque sim."


@pytest.mark.parametrize(
    "gift, field, expected",
    [
        ("::Q::[html]<b>x</b> {}", "text", "<div>\n<strong>x</strong>\n</div>"),
        ("::Q::[plain]<b>x</b> {}", "text", "&lt;b>x&lt;/b>"),
        ("::Q::[moodle]*x* {}", "text", "\\*x\\*"),
        ("::Q::[markdown]*x* {}", "text", "*x*"),
        ("::Q::*x* {}", "text", "*x*"),  # no tag: Markdown, as everywhere in Estaleiro
        ("::Q::x {####[html]<i>g</i>}", "explanation", "<div>\n<em>g</em>\n</div>"),
        ("::Q::[plain]x {####*g*}", "explanation", "\\*g\\*"),  # takes the statement's format
        ("::Q::[html]x {=[plain]<a> ~b#[moodle]*f*}", "choices", [("&lt;a>", ""), ("b", "\\*f\\*")]),
        (
            "::Q::[html]x {=<i>a</i>#<b>f</b> ~b}",
            "choices",
            [("<div>\n<em>a</em>\n</div>", "<div>\n<strong>f</strong>\n</div>"), ("b", "")],
        ),
        ("::Q::x {=a # [html]errado ~b # [plain]*f*}", "choices", [("a", "errado"), ("b", "\\*f\\*")]),
        ("::Q::x {=a ~[unknown]b}", "choices", [("a", ""), ("[unknown]b", "")]),
    ],
)
def test_gift_format_tags_on_every_text(gift, field, expected):
    question = parse_gift(gift).questions[0]
    if field == "choices":
        assert [(c.text, c.feedback) for c in question.choices] == expected
    else:
        assert getattr(question, field) == expected


GIFT_ERRORS_PT = [
    "erros.gift, linha 5: questão 'Associação': par de associação sem '->'; esperado '=item -> resposta' "
    "(ou '= -> distrator').",
    "erros.gift, linha 9: questão 'Sem resposta certa': nenhuma resposta correta: marque a certa com '=' ou, "
    "para várias respostas certas, dê pesos positivos ('~%50%resposta').",
    "erros.gift, linha 11: 4ª questão: questão sem bloco de respostas '{...}'; textos soltos (tipo descrição "
    "do Moodle) não são suportados.",
    "erros.gift, linha 13: questão 'Porta': 'cinco mil' não é uma resposta numérica; esperado um número, "
    "'valor:tolerância', 'mínimo..máximo' ou '*'.",
    "erros.gift, linha 15: questão 'Duas lacunas': mais de um bloco de respostas '{...}' na mesma questão "
    "(lacunas múltiplas/cloze) não é suportado.",
    "erros.gift, linha 17: questão 'Única': escolha única precisa de exatamente uma alternativa correta "
    "(encontrado: a), b)).",
]
GIFT_ERRORS_EN = [
    "erros.gift, line 5: question 'Associação': matching pair without '->'; expected '=stem -> answer' "
    "(or '= -> distractor').",
    "erros.gift, line 9: question 'Sem resposta certa': no right answer: mark the right one with '=' or, "
    "for several right answers, give positive weights ('~%50%answer').",
    "erros.gift, line 11: question 4: question without an answer block '{...}'; loose text (Moodle's "
    "description type) is not supported.",
    "erros.gift, line 13: question 'Porta': 'cinco mil' is not a numerical answer; expected a number, "
    "'value:tolerance', 'minimum..maximum' or '*'.",
    "erros.gift, line 15: question 'Duas lacunas': more than one answer block '{...}' in the same question "
    "(multiple gaps/cloze) is not supported.",
    "erros.gift, line 17: question 'Única': single choice needs exactly one right option (found: a), b)).",
]


def test_gift_file_lists_every_problem_with_its_line_in_both_languages():
    with pytest.raises(QuizImportError) as info:
        parse_file(DATA / "erros.gift")
    error = info.value
    assert [e.line for e in error.errors] == [5, 9, 11, 13, 15, 17]
    assert error.line == 5  # the single-error API still answers: the first problem
    assert str(error) == error.describe("pt-BR") == "\n".join(GIFT_ERRORS_PT)
    assert error.describe("en") == "\n".join(GIFT_ERRORS_EN)
    assert error.text("en").split("\n")[0] == GIFT_ERRORS_EN[0].removeprefix("erros.gift, ")
    assert error.message.split("\n")[-1] == GIFT_ERRORS_PT[-1].removeprefix("erros.gift, ")
    assert [e.describe("en") for e in error.errors] == GIFT_ERRORS_EN


def test_a_single_problem_is_its_own_list_and_whole_file_problems_stay_one():
    error = _error(parse_gift, "::A:: Q {=a ~b}\n\n::B:: Q {#x}", source="x.gift")
    assert error.errors == [error] and error.line == 3
    assert _error(parse_gift, "", source="x.gift").errors[0].line is None
    assert len(_error(parse_gift, "// só comentários\n\n", source="x.gift").errors) == 1


def test_gift_goes_on_after_a_bad_question_at_the_next_blank_line():
    text = "::A:: Q {=a ~b\n~c\n\n::B:: Q {=a ~b}\n\n::C:: Q }\n\n::D:: Q {=x =y ~z}"
    error = _error(parse_gift, text, source="x.gift")
    assert [e.line for e in error.errors] == [1, 6, 8]


AIKEN_ERRORS_PT = [
    "erros.aiken, linha 9: 'ANSWER: E' não corresponde a nenhuma alternativa; as alternativas são A, B.",
    "erros.aiken, linha 11: a questão tem 1 alternativa; esperado pelo menos 2 ('A. texto', 'B. texto') antes "
    "de 'ANSWER:'.",
    "erros.aiken, linha 15: alternativa 'A. docker volume ls' antes de qualquer enunciado; esperado o texto "
    "da questão numa linha antes das alternativas.",
    "erros.aiken, linha 19: a questão que começa nesta linha não tem a linha de resposta; esperado "
    "'ANSWER: <letra>' depois das alternativas.",
    "erros.aiken, linha 25: a alternativa A aparece duas vezes na mesma questão.",
]
AIKEN_ERRORS_EN = [
    "erros.aiken, line 9: 'ANSWER: E' matches no option; the options are A, B.",
    "erros.aiken, line 11: the question has 1 option; expected at least 2 ('A. text', 'B. text') before 'ANSWER:'.",
    "erros.aiken, line 15: option 'A. docker volume ls' before any statement; expected the question's text on "
    "a line before the options.",
    "erros.aiken, line 19: the question that starts on this line has no answer line; expected "
    "'ANSWER: <letter>' after the options.",
    "erros.aiken, line 25: option A appears twice in the same question.",
]


def test_aiken_file_lists_every_problem_with_its_line_in_both_languages():
    with pytest.raises(QuizImportError) as info:
        parse_file(DATA / "erros.aiken")
    error = info.value
    assert [e.line for e in error.errors] == [9, 11, 15, 19, 25]
    assert str(error) == "\n".join(AIKEN_ERRORS_PT)
    assert error.describe("en") == "\n".join(AIKEN_ERRORS_EN)


def test_aiken_as_moodle_reads_it():
    quiz = parse_aiken(
        "O projeto Docker foi anunciado por:\nA) Solomon Hykes\nB) Linus Torvalds\nANSWER: A\n\n"
        'O Dockerfile aceita <html class="x"> & *asteriscos*:\nA)Verdadeiro (sem espaço)\nB)Falso\nANSWER: B\n'
    )
    assert [q.key for q in quiz.questions] == ["q1", "q2"]
    second = quiz.questions[1]
    assert second.text == 'O Dockerfile aceita &lt;html class="x"> &amp; \\*asteriscos\\*:'
    assert render_markdown(second.text) == '<p>O Dockerfile aceita &lt;html class="x"&gt; &amp; *asteriscos*:</p>'
    assert [(c.key, c.text, c.is_correct) for c in second.choices] == [
        ("a", "Verdadeiro (sem espaço)", False),
        ("b", "Falso", True),
    ]


def _error(parse, text, **kwargs) -> QuizImportError:
    with pytest.raises(QuizImportError) as info:
        parse(text, **kwargs)
    return info.value
