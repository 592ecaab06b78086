"""The essay similarity pages: the planted near-duplicate comes first; short answers and text
copied from the statement are not flagged; each learner's latest answer in this class is the
one compared; only the class's teachers and assistants see them; everything is escaped; no
review or grade moves."""

import pytest
from django.urls import reverse

from quizzes.models import Answer, Attempt, Review
from quizzes.selectors import essay_similarity
from quizzes.services import answer_save, attempt_start, attempt_submit
from tests.factories import UserFactory, default_class, enrol_in, offering_of, other_class, quiz_from_content

pytestmark = pytest.mark.django_db

STATEMENT = (
    "Explique como a containerização com Docker contribui para a reprodutibilidade e a eficiência no ciclo de "
    "vida de um modelo de Machine Learning, considerando os conceitos de MLOps e XAI."
)
PLANTED = (
    "O contêiner congela o ambiente inteiro: a versão do Python, do scikit-learn e até da biblioteca libgomp, "
    "então o modelo treinado na máquina da Ana roda igual no servidor de inferência. Com as imagens versionadas "
    "no registro, o pipeline de CI/CD testa e publica cada nova versão, e o SHAP roda sobre a mesma imagem para "
    "explicar as previsões de forma auditável."
)
# The copy: other case, accents, punctuation and spacing, one word changed.
PLANTED_COPY = (
    "o conteiner CONGELA o ambiente inteiro -- a versao do python, do scikit learn e ate da biblioteca libgomp; "
    "entao o modelo treinado na maquina da Ana roda igual no servidor de inferencia!!  Com as imagens versionadas "
    "no registro o pipeline de CI CD testa e publica cada nova versão e o SHAP executa sobre a mesma imagem para "
    "explicar as previsões de forma auditável"
)
OWN = [
    "Sem Docker cada cientista de dados tinha um ambiente diferente; com um Dockerfile fixo a equipe inteira "
    "compartilha as mesmas dependências e a implantação deixa de depender de quem configurou o servidor.",
    "Camadas em cache tornam o build rápido e a imagem slim ocupa pouco espaço, o que barateia a escala "
    "horizontal dos serviços de previsão quando a demanda cresce durante a tarde.",
    "A explicabilidade exige que LIME veja exatamente o modelo de produção; empacotar ambos juntos evita "
    "explicações sobre um artefato diferente daquele que decide sobre os clientes do banco.",
    "Registrei as imagens com tags imutáveis e digest, então uma auditoria consegue reconstruir qualquer "
    "resultado antigo, inclusive os gráficos de importância de atributos mostrados ao comitê.",
    "Orquestradores como o Kubernetes sobem réplicas em segundos a partir da mesma imagem, e os testes "
    "automatizados do pipeline barram uma versão com acurácia menor antes da publicação.",
]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def answer(offering, learner, text: str) -> Answer:
    attempt = attempt_start(offering=offering, learner=learner)
    essay = offering.quiz.questions.get(key="q5")
    saved = answer_save(attempt=attempt, question=essay, choice_ids=[], text=text)
    attempt_submit(attempt=attempt)
    return saved


@pytest.fixture
def essay_class():
    """Ten learners: a planted pair, five with answers of their own, two who pasted the
    statement with a few words, one with a very short answer."""
    quiz = quiz_from_content()
    offering = offering_of(quiz)
    learners = [UserFactory(username=f"aluna{i}", first_name=f"Aluna {i}") for i in range(10)]
    answers = {}
    for index, text in enumerate(OWN):
        answers[index] = answer(offering, learners[index], text)
    # The copier first sent something else; their latest answer is what is compared.
    answer(offering, learners[6], OWN[0])
    answers[5] = answer(offering, learners[5], PLANTED)
    answers[6] = answer(offering, learners[6], PLANTED_COPY)
    answers[7] = answer(offering, learners[7], STATEMENT + " Docker ajuda muito nisso tudo.")
    answers[8] = answer(offering, learners[8], STATEMENT.upper() + " Acho que é isso, professora.")
    answers[9] = answer(offering, learners[9], "Docker é bom.")
    teacher = UserFactory(username="professora", first_name="Professora", instructor=True)
    return offering, offering.quiz.questions.get(key="q5"), learners, answers, teacher


def test_the_planted_pair_comes_first_and_the_statement_and_short_answers_are_not_flagged(essay_class):
    offering, question, learners, answers, _ = essay_class
    report = essay_similarity(offering=offering, question=question)
    assert report.learners == 10 and report.too_short == 1
    top = report.pairs[0]
    assert {top.first.pk, top.second.pk} == {answers[5].pk, answers[6].pk}
    assert top.percent >= 60
    assert all(pair.score < 0.2 for pair in report.pairs[1:])
    unflagged = {answers[7].pk, answers[8].pk, answers[9].pk}
    assert not any({pair.first.pk, pair.second.pk} & unflagged for pair in report.pairs)


def test_pages_escape_link_and_change_no_review(client, essay_class):
    offering, question, learners, answers, teacher = essay_class
    Answer.objects.filter(pk=answers[5].pk).update(text=PLANTED + " <script>alert('x')</script> " + "b" * 3000)
    before = (
        list(Review.objects.values_list("pk", "score", "released_at", "is_complete")),
        list(Attempt.objects.order_by("pk").values_list("pk", "score", "pending_review", "status")),
    )
    client.force_login(teacher)
    klass = default_class()
    listing = client.get(reverse("quizzes:essay-similarity", args=[klass.pk, offering.slug, question.pk]))
    assert listing.status_code == 200
    body = listing.content.decode()
    pair_url = reverse("quizzes:essay-similarity-pair", args=[klass.pk, offering.slug, question.pk])
    assert f"{pair_url}?a={answers[5].pk}&amp;b={answers[6].pk}" in body
    assert reverse("quizzes:review-answer", args=[answers[5].pk]) in body and "Aluna 5" in body
    queue = client.get(reverse("quizzes:review-queue", args=[klass.pk])).content.decode()
    assert reverse("quizzes:essay-similarity", args=[klass.pk, offering.slug, question.pk]) in queue

    page = client.get(f"{pair_url}?a={answers[5].pk}&b={answers[6].pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert(" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "b" * 401 not in html
    assert "compare-diff" in html and "compare-same" in html
    after = (
        list(Review.objects.values_list("pk", "score", "released_at", "is_complete")),
        list(Attempt.objects.order_by("pk").values_list("pk", "score", "pending_review", "status")),
    )
    assert after == before


def test_blind_review_hides_the_names(client, essay_class):
    offering, question, learners, answers, teacher = essay_class
    client.force_login(teacher)
    klass = default_class()
    client.post(reverse("quizzes:review-blind", args=[klass.pk]))
    listing = client.get(reverse("quizzes:essay-similarity", args=[klass.pk, offering.slug, question.pk]))
    pair = client.get(
        reverse("quizzes:essay-similarity-pair", args=[klass.pk, offering.slug, question.pk])
        + f"?a={answers[5].pk}&b={answers[6].pk}"
    )
    for response in (listing, pair):
        assert response.status_code == 200
        html = response.content.decode()
        assert "Aluna 5" not in html and f"nº {answers[5].pk}" in html


def test_other_classes_and_other_questions_are_out(client, essay_class):
    offering, question, learners, answers, teacher = essay_class
    b = other_class("Turma B")
    b_offering = offering_of(offering.quiz, klass=b)
    outsider = UserFactory(username="aluna-b", enrol=False)
    enrol_in(outsider, klass=b)
    b_answer = answer(b_offering, outsider, PLANTED)
    klass = default_class()
    client.force_login(teacher)
    pair_url = reverse("quizzes:essay-similarity-pair", args=[klass.pk, offering.slug, question.pk])
    assert client.get(f"{pair_url}?a={answers[5].pk}&b={b_answer.pk}").status_code == 404
    assert client.get(pair_url).status_code == 302
    not_essay = offering.quiz.questions.exclude(kind="essay").first()
    assert (
        client.get(reverse("quizzes:essay-similarity", args=[klass.pk, offering.slug, not_essay.pk])).status_code == 404
    )
    report = essay_similarity(offering=b_offering, question=question)
    assert report.learners == 1 and not report.pairs


@pytest.mark.parametrize(("who", "expected"), [("learner", 403), ("other_teacher", 404), ("assistant", 200)])
def test_who_may_open_the_pages(client, essay_class, who, expected):
    offering, question, learners, answers, _ = essay_class
    klass = default_class()
    if who == "learner":
        user = learners[5]
    elif who == "other_teacher":
        user = UserFactory(username="professora-c", instructor=True, enrol=False)
        enrol_in(user, role="teacher", klass=other_class("Turma C"))
    else:
        user = UserFactory(username="monitora", enrol=False)
        enrol_in(user, role="assistant", klass=klass)
    client.force_login(user)
    listing = client.get(reverse("quizzes:essay-similarity", args=[klass.pk, offering.slug, question.pk]))
    pair = client.get(
        reverse("quizzes:essay-similarity-pair", args=[klass.pk, offering.slug, question.pk])
        + f"?a={answers[5].pk}&b={answers[6].pk}"
    )
    assert (listing.status_code, pair.status_code) == (expected, expected)
    if expected != 200:
        assert "Aluna 6" not in listing.content.decode() + pair.content.decode()
