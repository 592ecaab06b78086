"""Short answer, numerical and matching from the learner's and the teacher's side: autosave, the
page without JavaScript, reload, submit, the result page (key only when the review options
allow), refused input, statistics, the YAML round trip and the admin."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from quizzes.bank import quiz_import
from quizzes.importers import dump_yaml, parse_file, parse_yaml
from quizzes.models import Answer, Attempt
from tests.factories import UserFactory, default_class, offering_of

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
DATA = Path(__file__).parent / "data" / "tipos.yaml"


def kinds_quiz(**settings):
    quiz = quiz_import(data=parse_file(DATA)).quiz
    offering_of(quiz, **settings)
    return quiz


def start(client, quiz) -> Attempt:
    client.post(reverse("quizzes:begin", args=[default_class().pk, quiz.slug]))
    return Attempt.objects.latest("pk")


def autosave(client, attempt, question, data):
    return client.post(reverse("quizzes:autosave", args=[attempt.pk, question.pk]), data, headers=HTMX)


def stem_fields(question, answers: dict[str, str]) -> dict[str, str]:
    """{stem text: answer} -> the matching question's select names and values."""
    return {f"q{question.pk}-s{question.choices.get(text=stem).pk}": text for stem, text in answers.items()}


class Fields(HTMLParser):
    """The values a browser would show: text inputs and each select's chosen option."""

    def __init__(self):
        super().__init__()
        self.values, self.options, self.select, self.labels = {}, {}, None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "text":
            self.values[attrs["name"]] = attrs.get("value", "")
            self.inputs_attrs = getattr(self, "inputs_attrs", {})
            self.inputs_attrs[attrs["name"]] = attrs
        if tag == "select":
            self.select = attrs["name"]
            self.values[self.select] = ""
            self.options[self.select] = []
        if tag == "option" and self.select:
            self.options[self.select].append(attrs["value"])
            if "selected" in attrs:
                self.values[self.select] = attrs["value"]
        if tag == "label":
            self.labels[attrs.get("for")] = True

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def fields_of(page: str) -> Fields:
    parser = Fields()
    parser.feed(page)
    return parser


def test_each_kind_autosaves_reloads_submits_and_scores(client, learner):
    quiz = kinds_quiz()
    short, number, match = (quiz.questions.get(key=k) for k in ("instrucao-porta", "tamanho-imagem", "instrucoes"))
    client.force_login(learner)
    attempt = start(client, quiz)
    page = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    fields = fields_of(page)
    # A labelled input each; the numerical one asks for a decimal keyboard and lists its units.
    assert f'<label for="q{short.pk}-input">' in page and f'<label for="q{number.pk}-input">' in page
    assert fields.inputs_attrs[f"q{number.pk}"]["inputmode"] == "decimal"
    assert "<code>GB</code>, <code>MB</code>" in page
    # Matching: a select per stem, labelled by it, offering every answer (the distractor too) once.
    stems = list(match.choices.exclude(text=""))
    for stem in stems:
        name = f"q{match.pk}-s{stem.pk}"
        assert fields.labels.get(name) and fields.options[name][0] == ""
        assert sorted(fields.options[name][1:]) == sorted(match.choices.values_list("match_text", flat=True))
    assert len({tuple(fields.options[f"q{match.pk}-s{s.pk}"]) for s in stems}) == 1  # one order for all

    assert "Salvo às" in autosave(client, attempt, short, {f"q{short.pk}": "  expose  "}).content.decode()
    saved = autosave(client, attempt, number, {f"q{number.pk}": "2048 MB"}).content.decode()
    assert "Salvo às" in saved and "2 de 3 respondidas" in saved
    answers = {"WORKDIR": "define o diretório de trabalho", "COPY": "copia arquivos do contexto", "CMD": ""}
    assert "3 de 3 respondidas" in autosave(client, attempt, match, stem_fields(match, answers)).content.decode()
    assert Answer.objects.get(attempt=attempt, question=match).response == {
        str(match.choices.get(text="WORKDIR").pk): "define o diretório de trabalho",
        str(match.choices.get(text="COPY").pk): "copia arquivos do contexto",
    }

    # Reload: the answers are in the fields, and the options keep their order.
    again = fields_of(client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode())
    assert again.values[f"q{short.pk}"] == "  expose  " and again.values[f"q{number.pk}"] == "2048 MB"
    assert again.values[f"q{match.pk}-s{match.choices.get(text='COPY').pk}"] == "copia arquivos do contexto"
    assert again.values[f"q{match.pk}-s{match.choices.get(text='CMD').pk}"] == ""
    assert again.options == fields.options

    client.post(reverse("quizzes:submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.score == 2 + 2 + 2  # matching: 2 of 3 stems of 3 points
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "Nota: 6 / 7" in result
    assert "Isso: EXPOSE documenta a porta" in result and "Certo: 2 GB." in result  # the matched answer's feedback
    assert "Resposta certa." in result and "Algumas certas." in result  # combined feedback by the score
    assert "Respostas aceitas" in result and "2 ± 0,05 GB" in result and "CMD → comando padrão do contêiner" in result


def test_numerical_unknown_unit_is_explained(client, learner):
    quiz = kinds_quiz()
    number = quiz.questions.get(key="tamanho-imagem")
    client.force_login(learner)
    attempt = start(client, quiz)
    autosave(client, attempt, number, {f"q{number.pk}": "2 XB"})
    client.post(reverse("quizzes:submit", args=[attempt.pk]))
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "Unidade desconhecida &#x27;XB&#x27;; unidades aceitas: GB, MB." in result
    assert Answer.objects.get(attempt=attempt, question=number).auto_score == 0


def test_no_javascript_page_saves_every_kind(client, learner):
    quiz = kinds_quiz()
    short, number, match = (quiz.questions.get(key=k) for k in ("instrucao-porta", "tamanho-imagem", "instrucoes"))
    client.force_login(learner)
    attempt = start(client, quiz)
    data = {"page": "1", "go": "submit", f"q{short.pk}": "EXPOSE 5000", f"q{number.pk}": "2,0"}
    data |= stem_fields(match, {"CMD": "comando padrão do contêiner"})
    response = client.post(reverse("quizzes:save-page", args=[attempt.pk]), data)
    assert response.url == reverse("quizzes:submit", args=[attempt.pk])
    saved = {a.question.key: a for a in Answer.objects.filter(attempt=attempt)}
    assert saved["instrucao-porta"].text == "EXPOSE 5000" and saved["tamanho-imagem"].text == "2,0"
    assert list(saved["instrucoes"].response.values()) == ["comando padrão do contêiner"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("instrucao-porta", "x" * 1_000_001, "muito longa"),
        ("instrucao-porta", "EXP\x00OSE", "caractere de controle"),
        ("tamanho-imagem", "1" * 101, "muito longa"),
    ],
    ids=["1MB", "NUL", "long-number"],
)
def test_refused_typed_answer_keeps_the_saved_one(client, learner, key, value, message):
    quiz = kinds_quiz()
    question = quiz.questions.get(key=key)
    client.force_login(learner)
    attempt = start(client, quiz)
    autosave(client, attempt, question, {f"q{question.pk}": "2"})
    response = autosave(client, attempt, question, {f"q{question.pk}": value})
    assert response.status_code == 200 and message in response.content.decode()
    assert Answer.objects.get(attempt=attempt, question=question).text == "2"
    # Without JavaScript: named on the page it stays on; the page's other answers are saved.
    other = quiz.questions.get(key="tamanho-imagem" if key == "instrucao-porta" else "instrucao-porta")
    response = client.post(
        reverse("quizzes:save-page", args=[attempt.pk]),
        {"page": "1", "go": "submit", f"q{question.pk}": value, f"q{other.pk}": "7"},
        follow=True,
    )
    body = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("quizzes:attempt", args=[attempt.pk]))
    assert message in body and 'class="message message-error"' in body
    assert Answer.objects.get(attempt=attempt, question=question).text == "2"
    assert Answer.objects.get(attempt=attempt, question=other).text == "7"


def test_matching_refuses_unknown_stems_and_texts_not_offered(client, learner):
    quiz = kinds_quiz()
    match = quiz.questions.get(key="instrucoes")
    client.force_login(learner)
    attempt = start(client, quiz)
    good = stem_fields(match, {"CMD": "comando padrão do contêiner"})
    autosave(client, attempt, match, good)
    distractor = match.choices.get(text="")
    other_question = quiz.questions.get(key="instrucao-porta").choices.first()
    forged = [
        {f"q{match.pk}-s{distractor.pk}": "publica a porta no host"},  # a distractor is no stem
        {f"q{match.pk}-s{other_question.pk}": "comando padrão do contêiner"},  # another question's choice
        {f"q{match.pk}-sabc": "comando padrão do contêiner"},
        stem_fields(match, {"CMD": "<script>alert(1)</script>"}),
        stem_fields(match, {"CMD": "x" * 500_000}),
    ]
    for data in forged:
        response = autosave(client, attempt, match, data)
        assert "não foi salva" in response.content.decode() and "<script>alert" not in response.content.decode()
    assert list(Answer.objects.get(attempt=attempt, question=match).response.values()) == [
        "comando padrão do contêiner"
    ]


def secrets(quiz) -> list[str]:
    found = []
    for question in quiz.questions.all():
        found += [t for t in (question.feedback_correct, question.feedback_partial, question.feedback_incorrect) if t]
        for choice in question.choices.all():
            found += [t for t in (choice.feedback, choice.match_text) if t]
            if question.kind == "shortanswer":
                found.append(choice.text)
    return found


def test_key_and_feedback_wait_for_the_review_options(client, learner):
    quiz = kinds_quiz(reveal_answers="after_close")
    short, match = quiz.questions.get(key="instrucao-porta"), quiz.questions.get(key="instrucoes")
    client.force_login(learner)
    attempt = start(client, quiz)
    taking = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode().split("<main", 1)[1]
    saves = autosave(client, attempt, short, {f"q{short.pk}": "RUN"}).content.decode()
    saves += autosave(client, attempt, match, stem_fields(match, {"CMD": "publica a porta no host"})).content.decode()
    client.post(reverse("quizzes:submit", args=[attempt.pk]))
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    main = result.split("<main", 1)[1]
    # The matching answers are offered to every stem while taking it, in no telling order; the
    # result shows the learner's own choice ("publica...") only.
    offered = set(match.choices.values_list("match_text", flat=True))
    for page in (taking, saves):
        assert [s for s in secrets(quiz) if s in page and s not in offered] == []
    leaked = [s for s in secrets(quiz) if s in main and s not in ("publica a porta no host",)]
    assert leaked == [], leaked
    assert "Respostas aceitas" not in main and "pair-right" not in main and "pair-wrong" not in main
    assert "RUN" in main  # the learner's own response is there


def test_statistics_show_frequent_responses_escaped_and_stems(client, learner, instructor):
    quiz = kinds_quiz()
    short, number, match = (quiz.questions.get(key=k) for k in ("instrucao-porta", "tamanho-imagem", "instrucoes"))
    responses = ["EXPOSE", "expose", "<b>RUN</b>", "EXPOSE"]
    for index, text in enumerate(responses):
        user = learner if index == 0 else UserFactory(username=f"stat{index}")
        client.force_login(user)
        attempt = start(client, quiz)
        autosave(client, attempt, short, {f"q{short.pk}": text})
        autosave(client, attempt, number, {f"q{number.pk}": "2048 MB" if index % 2 else "2048MB"})
        autosave(client, attempt, match, stem_fields(match, {"CMD": "comando padrão do contêiner"}))
        client.post(reverse("quizzes:submit", args=[attempt.pk]))
    client.force_login(instructor)
    page = client.get(reverse("quizzes:stats", args=[default_class().pk, quiz.slug])).content.decode()
    assert '<code>expose</code></td><td class="num">3</td><td class="num">100%</td>' in page
    assert "&lt;b&gt;run&lt;/b&gt;" in page and "<b>run" not in page.lower().replace("<b>run</b>", "x")
    assert '<code>2048 MB</code></td><td class="num">4</td>' in page
    assert "CMD → comando padrão do contêiner" in page and "4 (100%)" in page and "0 (0%)" in page


def test_yaml_round_trip_of_the_new_kinds():
    quiz = parse_file(DATA)
    assert parse_yaml(dump_yaml(quiz)) == quiz
    assert quiz.questions[1].units[1].multiplier == 1024 and quiz.questions[1].choices[0].tolerance == 0.05
    assert quiz.questions[2].choices[3].text == "" and quiz.questions[2].choices[3].match == "publica a porta no host"
    assert quiz.questions[0].feedback_correct == "Resposta certa." and quiz.questions[1].penalty == 0.1


def test_admin_shows_the_new_fields(admin_client):
    quiz = kinds_quiz()
    number = quiz.questions.get(key="tamanho-imagem")
    page = admin_client.get(reverse("admin:quizzes_question_change", args=[number.pk])).content.decode()
    for name in ("name", "category", "case_sensitive", "units", "feedback_correct", "feedback_partial"):
        assert f'name="{name}"' in page, name
    assert 'name="choices-0-tolerance"' in page and 'name="choices-0-match_text"' in page
