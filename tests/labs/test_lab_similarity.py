"""The lab's similarity pages: the planted near-duplicate comes first, work that is only the
starter is never flagged, only the class's teachers and assistants see them, everything is
escaped, and no grade moves."""

import base64

import pytest
from django.urls import reverse

from classes.models import Class
from labs.content import encode_files
from labs.models import Submission
from labs.selectors import lab_best_scores, lab_grade_submissions, lab_similarity
from tests.factories import UserFactory, default_class, enrol_in, lab_from_content, offering_of, other_class

pytestmark = pytest.mark.django_db

LAB = "otimizar-imagem"
STARTER = """\
FROM python:3.11
COPY . /app
WORKDIR /app
RUN pip install -r requirements.txt
RUN pip install -r requirements-dev.txt
RUN chmod -R a+rX /app
EXPOSE 5000
CMD python app.py
"""
# What the lesson teaches: most of the class writes it, so it is no evidence about a pair.
RECIPE = """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app.py .
EXPOSE 5000
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]
"""
PLANTED = """\
FROM python:3.11-slim AS construcao
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libgomp1 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir numpy flask gunicorn
FROM python:3.11-slim
COPY --from=construcao /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1
RUN useradd --create-home --uid 10001 iris
USER iris
WORKDIR /home/iris/app
COPY --chown=iris app.py .
HEALTHCHECK --interval=30s CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:5000/')"
CMD ["gunicorn", "--workers", "3", "--bind", "0.0.0.0:5000", "app:app"]
"""
# The copy, disguised: comments, spacing, case, pair and package order, CMD's form.
PLANTED_COPY = """\
# feito por mim
from python:3.11-slim as construcao
run apt-get update \\
 && apt-get install -y libgomp1 build-essential --no-install-recommends \\
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir gunicorn flask numpy

FROM python:3.11-slim
COPY --from=construcao /opt/venv /opt/venv
ENV PYTHONDONTWRITEBYTECODE=1 PATH=/opt/venv/bin:$PATH
RUN useradd --create-home --uid 10001 iris
USER iris
WORKDIR /home/iris/app
COPY --chown=iris app.py .
HEALTHCHECK --interval=30s CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:5000/')"
CMD gunicorn --workers 3 --bind 0.0.0.0:5000 app:app
"""
OWN_TOUCHES = [
    "RUN pip install --no-cache-dir pandas==2.2.2\nLABEL autor=bruna\n",
    "ENV FLASK_ENV=production\nUSER nobody\n",
    "RUN adduser --disabled-password appuser\nUSER appuser\n",
    "HEALTHCHECK CMD curl -f http://localhost:5000/saude || exit 1\n",
    'LABEL org.opencontainers.image.title="iris"\n',
    "ENV GUNICORN_CMD_ARGS=--workers=2\n",
]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Eleven people a test: a cheap hasher keeps their making short."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def submit(learner, offering, dockerfile: str, *, score: float = 80, files: dict[str, bytes] | None = None):
    return Submission.objects.create(
        learner=learner,
        lab=offering.lab,
        offering=offering,
        dockerfile=dockerfile,
        files=encode_files(files or {}),
        status="passed",
        score=score,
        max_score=100,
        counted=True,
        spec_hash=offering.lab.spec_hash,
    )


@pytest.fixture
def lab_class():
    """Ten learners: two planted near-duplicates, six with the lesson's recipe and a touch of
    their own, two who sent the starter files back unchanged."""
    lab = lab_from_content(LAB)
    offering = offering_of(lab)
    learners = [UserFactory(username=f"aprendiz{i}", first_name=f"Aprendiz {i}") for i in range(10)]
    starter_app = (lab.versions.get(spec_hash=lab.spec_hash).starter_files or {}).get("app.py")
    assert starter_app
    work = {}
    for index, learner in enumerate(learners[:6]):
        work[learner.username] = submit(learner, offering, RECIPE + OWN_TOUCHES[index])
    work["aprendiz6"] = submit(learners[6], offering, PLANTED, score=90)
    # An earlier, weaker try of the copier's is not what counts (the class's rule: the best).
    submit(learners[7], offering, RECIPE, score=10)
    work["aprendiz7"] = submit(learners[7], offering, PLANTED_COPY, score=95)
    app_py = base64.b64decode(starter_app)
    for learner in learners[8:]:
        work[learner.username] = submit(learner, offering, STARTER, files={"app.py": app_py})
    teacher = UserFactory(username="professora", first_name="Professora", instructor=True)
    return offering, learners, work, teacher


def test_the_planted_pair_comes_first_and_starter_work_is_not_flagged(lab_class):
    offering, learners, work, _ = lab_class
    report = lab_similarity(offering=offering)
    assert report.learners == 10
    top = report.pairs[0]
    assert {top.first.pk, top.second.pk} == {work["aprendiz6"].pk, work["aprendiz7"].pk}
    assert top.percent == 100
    assert all(pair.score < 0.5 for pair in report.pairs[1:])
    starter_only = {work["aprendiz8"].pk, work["aprendiz9"].pk}
    assert not any({pair.first.pk, pair.second.pk} & starter_only for pair in report.pairs)
    assert report.compared == 8


def test_the_submission_that_counts_is_compared(lab_class):
    """Under the class's rule 'latest', the copier's latest counted submission is compared."""
    offering, learners, work, _ = lab_class
    latest = submit(learners[7], offering, RECIPE + "LABEL autor=outra-pessoa\n", score=20)
    Class.objects.filter(pk=offering.klass_id).update(lab_score_rule=Class.LabScoreRule.LATEST)
    offering.klass.refresh_from_db()
    report = lab_similarity(offering=offering)
    compared_ids = {p.first.pk for p in report.pairs} | {p.second.pk for p in report.pairs}
    assert work["aprendiz7"].pk not in compared_ids
    assert set(report.ranking.documents) <= {s.pk for s in lab_grade_submissions(offerings=[offering]).values()}
    assert latest.pk in report.ranking.documents


def test_pages_show_the_pair_side_by_side_escaped_and_change_no_grade(client, lab_class):
    offering, learners, work, teacher = lab_class
    hostile = PLANTED.replace("FROM python:3.11-slim AS", "# <script>alert('x')</script>\nFROM python:3.11-slim AS")
    hostile += "LABEL nota=\"<script>alert('y')</script>\"\n" + "RUN echo " + "a" * 5000 + "\n"
    Submission.objects.filter(pk=work["aprendiz6"].pk).update(dockerfile=hostile)
    grades_before = {k: (s.pk, s.counted_score) for k, s in lab_grade_submissions(offerings=[offering]).items()}
    scores_before = [(s.pk, s.score, s.late_penalty, s.status, s.counted) for s in Submission.objects.order_by("pk")]
    best_before = lab_best_scores(offering=offering)

    client.force_login(teacher)
    listing = client.get(reverse("labs:similarity", args=[offering.klass_id, offering.slug]))
    assert listing.status_code == 200
    body = listing.content.decode()
    pair_url = reverse("labs:similarity-pair", args=[offering.klass_id, offering.slug])
    first_pair = f"{pair_url}?a={work['aprendiz6'].pk}&amp;b={work['aprendiz7'].pk}"
    assert first_pair in body
    assert reverse("labs:submission", args=[work["aprendiz6"].pk]) in body and "Aprendiz 6" in body
    submissions_page = client.get(reverse("labs:submissions", args=[offering.klass_id, offering.slug]))
    assert reverse("labs:similarity", args=[offering.klass_id, offering.slug]) in submissions_page.content.decode()

    for view in ("", "&view=original"):
        page = client.get(f"{pair_url}?a={work['aprendiz6'].pk}&b={work['aprendiz7'].pk}{view}")
        assert page.status_code == 200
        html = page.content.decode()
        assert "<script>alert(" not in html
        assert "alert(&#x27;y&#x27;)" in html
        assert "a" * 401 not in html  # a very long line is cut
        assert "compare-diff" in html and "compare-same" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)" in html  # the comment, shown as sent

    assert {k: (s.pk, s.counted_score) for k, s in lab_grade_submissions(offerings=[offering]).items()} == grades_before
    assert [(s.pk, s.score, s.late_penalty, s.status, s.counted) for s in Submission.objects.order_by("pk")] == (
        scores_before
    )
    assert lab_best_scores(offering=offering) == best_before


def test_a_pair_is_only_of_this_offering(client, lab_class):
    offering, learners, work, teacher = lab_class
    b = other_class("Turma B")
    b_offering = offering_of(offering.lab, klass=b)
    outsider = UserFactory(username="aprendiz-b", enrol=False)
    enrol_in(outsider, klass=b)
    b_work = submit(outsider, b_offering, PLANTED)
    client.force_login(teacher)
    pair_url = reverse("labs:similarity-pair", args=[offering.klass_id, offering.slug])
    assert client.get(f"{pair_url}?a={work['aprendiz6'].pk}&b={b_work.pk}").status_code == 404
    assert client.get(f"{pair_url}?a={work['aprendiz6'].pk}&b={work['aprendiz6'].pk}").status_code == 404
    missing = client.get(pair_url)
    assert missing.status_code == 302 and missing.url == reverse("labs:similarity", args=[offering.klass_id, LAB])
    # B's list compares B's learners only: A's planted pair is not there.
    b_teacher = UserFactory(username="professora-b", instructor=True, enrol=False)
    enrol_in(b_teacher, role="teacher", klass=b)
    client.force_login(b_teacher)
    b_page = client.get(reverse("labs:similarity", args=[b.pk, LAB])).content.decode()
    assert "Aprendiz 6" not in b_page and "Aprendiz 7" not in b_page


@pytest.mark.parametrize("who", ["learner", "other_teacher", "assistant"])
def test_who_may_open_the_pages(client, lab_class, who):
    offering, learners, work, _ = lab_class
    klass = default_class()
    if who == "learner":
        user, expected = learners[6], 403
    elif who == "other_teacher":
        user = UserFactory(username="professora-c", instructor=True, enrol=False)
        enrol_in(user, role="teacher", klass=other_class("Turma C"))
        expected = 404
    else:
        user = UserFactory(username="monitora", enrol=False)
        enrol_in(user, role="assistant", klass=klass)
        expected = 200
    client.force_login(user)
    listing = client.get(reverse("labs:similarity", args=[klass.pk, LAB]))
    pair = client.get(
        reverse("labs:similarity-pair", args=[klass.pk, LAB]) + f"?a={work['aprendiz6'].pk}&b={work['aprendiz7'].pk}"
    )
    assert (listing.status_code, pair.status_code) == (expected, expected)
    if expected != 200:
        assert "Aprendiz 7" not in listing.content.decode() + pair.content.decode()
