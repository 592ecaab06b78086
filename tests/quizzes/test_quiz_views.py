import pytest
from django.urls import reverse

from quizzes.models import Attempt
from tests.factories import default_class, offering_of, quiz_from_content

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def quiz():
    return quiz_from_content()


def start(client, quiz):
    response = client.post(reverse("quizzes:begin", args=[default_class().pk, quiz.slug]))
    assert response.status_code == 302
    return Attempt.objects.latest("pk")


def secrets_of(quiz) -> list[str]:
    """Text that must never reach a learner before the review options allow it."""
    secrets = []
    for question in quiz.questions.all():
        if question.explanation:
            secrets.append(question.explanation.strip()[-40:])
        if question.expected_command:
            secrets.append(question.expected_command)
        secrets += [c.feedback[:40] for c in question.choices.all() if c.feedback]
    return secrets


def test_anonymous_is_sent_to_log_in(client, quiz):
    response = client.get(reverse("quizzes:detail", args=[default_class().pk, quiz.slug]))
    assert response.status_code == 302 and reverse("login") in response.url


def test_take_autosave_resume_submit_and_review(client, learner, quiz):
    client.force_login(learner)
    attempt = start(client, quiz)
    page = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert "Questão 1" in page and "0 de 11 respondidas" in page
    q3 = quiz.questions.get(key="q3")
    right = q3.choices.get(is_correct=True)
    response = client.post(reverse("quizzes:autosave", args=[attempt.pk, q3.pk]), {f"q{q3.pk}": right.pk}, headers=HTMX)
    body = response.content.decode()
    assert (
        response.status_code == 200
        and "Salvo às" in body
        and 'hx-swap-oob="true"' in body
        and "1 de 11 respondidas" in body
    )
    run = quiz.questions.get(key="cmd-run")
    client.post(
        reverse("quizzes:autosave", args=[attempt.pk, run.pk]),
        {f"q{run.pk}": "docker run -d -p 5000:5000 --name api-modelo-ml meu-modelo-ml:v1.0"},
        headers=HTMX,
    )
    # Closing the browser and coming back: the answers are there.
    page = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert f'value="{right.pk}"\n                   checked' in page or f'value="{right.pk}" checked' in page.replace(
        "\n", " "
    ).replace("  ", " ")
    assert "--name api-modelo-ml" in page
    confirm = client.get(reverse("quizzes:submit", args=[attempt.pk])).content.decode()
    assert "9 questões não estão respondidas" in confirm
    response = client.post(reverse("quizzes:submit", args=[attempt.pk]))
    assert response.url == reverse("quizzes:result", args=[attempt.pk])
    result = client.get(response.url).content.decode()
    assert "Nota: 2 / 14" in result
    assert "Explicação" in result and "Sem resposta." in result  # the essay left blank scores 0, nothing to review


def test_answer_key_is_never_sent_before_review_allows(client, learner, quiz):
    offering_of(quiz, reveal_answers="after_close")
    client.force_login(learner)
    attempt = start(client, quiz)
    q1 = quiz.questions.get(key="q1")
    pages = [
        client.get(reverse("quizzes:detail", args=[default_class().pk, quiz.slug])).content.decode(),
        client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode(),
        client.post(
            reverse("quizzes:autosave", args=[attempt.pk, q1.pk]), {f"q{q1.pk}": q1.choices.first().pk}, headers=HTMX
        ).content.decode(),
        client.get(reverse("quizzes:submit", args=[attempt.pk])).content.decode(),
    ]
    client.post(reverse("quizzes:submit", args=[attempt.pk]))
    pages.append(client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode())
    for secret in secrets_of(quiz):
        for page in pages:
            assert secret not in page, secret
    assert "correct" not in pages[1] and "is_correct" not in pages[1]
    # Nor whether each answer was right: the per-question marks wait for the reveal too.
    result = pages[-1]
    assert "result-right" not in result and "result-wrong" not in result
    assert 'question-number">Questão 1\n      <span class="muted small">· <span title=' in result


def test_other_learners_cannot_reach_an_attempt(client, learner, other_learner, instructor, quiz):
    client.force_login(learner)
    attempt = start(client, quiz)
    q1 = quiz.questions.get(key="q1")
    client.force_login(other_learner)
    assert client.get(reverse("quizzes:attempt", args=[attempt.pk])).status_code == 404
    assert (
        client.post(
            reverse("quizzes:autosave", args=[attempt.pk, q1.pk]), {f"q{q1.pk}": q1.choices.first().pk}
        ).status_code
        == 404
    )
    assert client.post(reverse("quizzes:submit", args=[attempt.pk])).status_code == 404
    assert client.get(reverse("quizzes:result", args=[attempt.pk])).status_code == 404
    assert client.get(reverse("quizzes:stats", args=[default_class().pk, quiz.slug])).status_code == 403
    client.force_login(instructor)
    assert client.get(reverse("quizzes:stats", args=[default_class().pk, quiz.slug])).status_code == 200


def test_page_works_without_javascript_one_question_per_page(client, learner, quiz):
    offering_of(quiz, one_per_page=True)
    client.force_login(learner)
    attempt = start(client, quiz)
    page = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert page.count('class="question card"') == 1
    first = attempt.question_order[0]
    question = quiz.questions.get(pk=first)
    response = client.post(
        reverse("quizzes:save-page", args=[attempt.pk]),
        {"page": 1, "go": "2", f"q{first}": question.choices.first().pk},
    )
    assert response.url.endswith("?page=2")
    assert attempt.answers.get(question=question).selected.count() == 1


def test_english_when_asked(client, learner, quiz):
    client.force_login(learner)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    attempt = start(client, quiz)
    page = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert "Question 1" in page and "0 of 11 answered" in page


def test_markdown_in_questions_is_sanitised(client, learner, quiz):
    q1 = quiz.questions.get(key="q1")
    q1.text = "Qual? <script>alert(1)</script> <img src=x onerror=alert(1)>"
    q1.save()
    client.force_login(learner)
    attempt = start(client, quiz)
    page = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "onerror" not in page


def test_learner_text_and_instructor_keys_are_escaped_on_the_attempt_page(client, learner, quiz):
    """The question fields are built in Python (quizzes.rendering): every value is escaped
    there, the learner's own answers included, and the page still parses as intended."""
    from html.parser import HTMLParser

    q1 = quiz.questions.get(key="q1")
    choice = q1.choices.order_by("position").first()
    choice.key = '"><script>alert("k")</script>'
    choice.save()
    client.force_login(learner)
    attempt = start(client, quiz)
    essay, run = quiz.questions.get(key="q5"), quiz.questions.get(key="cmd-run")
    hostile = '</textarea><script>alert("e")</script>'
    client.post(reverse("quizzes:autosave", args=[attempt.pk, essay.pk]), {f"q{essay.pk}": hostile}, headers=HTMX)
    client.post(
        reverse("quizzes:autosave", args=[attempt.pk, run.pk]),
        {f"q{run.pk}": 'docker run "x"><script>1</script>'},
        headers=HTMX,
    )
    page = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert "<script>" not in page.split("</head>", 1)[1]

    class Fields(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inputs, self.textareas, self.in_textarea = {}, {}, None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("type") == "text":
                self.inputs[attrs["name"]] = attrs["value"]
            if tag == "textarea":
                self.in_textarea = attrs["name"]
                self.textareas[self.in_textarea] = ""

        def handle_endtag(self, tag):
            if tag == "textarea":
                self.in_textarea = None

        def handle_data(self, data):
            if self.in_textarea:
                self.textareas[self.in_textarea] += data

    fields = Fields()
    fields.feed(page)
    # What the browser shows in the fields is exactly what the learner typed.
    assert fields.textareas[f"q{essay.pk}"].removeprefix("\n") == hostile
    assert fields.inputs[f"q{run.pk}"] == 'docker run "x"><script>1</script>'
    assert "&quot;&gt;&lt;script&gt;alert(&quot;k&quot;)&lt;/script&gt;)" in page


def test_edits_to_questions_and_choices_reach_an_open_attempt_at_once(
    client, learner, quiz, django_assert_max_num_queries
):
    """The quiz's structure is cached per process; saving or deleting a question or a choice
    invalidates it, and a page load from the cache reads only the session, the user, the
    attempt (with its offering), the learner's extension there (their close date), their role
    in the class (its menu) and the answers: no question, no choice."""
    client.force_login(learner)
    attempt = start(client, quiz)
    url = reverse("quizzes:attempt", args=[attempt.pk])
    client.get(url)
    with django_assert_max_num_queries(6) as captured:
        assert client.get(url).status_code == 200
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert 'FROM "quizzes_question"' not in tables and 'FROM "quizzes_choice"' not in tables
    q2 = quiz.questions.get(key="q2")
    q2.text = "Texto revisto pela professora"
    q2.save()
    assert "Texto revisto pela professora" in client.get(url).content.decode()
    choice = q2.choices.order_by("position").last()
    choice.text = "Alternativa reescrita"
    choice.save()
    assert "Alternativa reescrita" in client.get(url).content.decode()
    choice.delete()
    assert "Alternativa reescrita" not in client.get(url).content.decode()
    # A re-import that changes a question is seen too.
    from django.conf import settings

    from quizzes.bank import quiz_import
    from quizzes.importers import parse_file

    data = parse_file(settings.CONTENT_DIR / "quizzes" / "aula-45.yaml")
    quiz_import(data=data)
    assert "Texto revisto pela professora" not in client.get(url).content.decode()
