import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, offering_of

pytestmark = pytest.mark.django_db


def test_home_speaks_brazilian_portuguese_by_default(client, learner):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="pt-br">' in body
    assert "Aula 45 – Containerização com Docker" in body
    assert "Entrar" in body
    # A learner sees their class's work under its headings, in the same language.
    client.force_login(learner)
    body = client.get(reverse("home")).content.decode()
    assert '<html lang="pt-br">' in body
    assert "Autoavaliação" in body
    assert "Laboratórios práticos" in body


def test_language_switch_to_english_sticks(client, learner):
    client.force_login(learner)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in body
    assert "Self-assessment" in body
    assert "Autoavaliação" not in body


def test_home_shows_each_class_of_the_user_and_a_join_form_to_someone_in_none(client, learner):
    """The home page lists the user's classes, each with its own work; a user in no class is
    offered the join form instead."""
    from tests.factories import enrol_in, other_class

    loner = UserFactory(username="sem-turma", enrol=False)
    client.force_login(loner)
    body = client.get(reverse("home")).content.decode()
    assert "Turma de teste" not in body and "Autoavaliação" not in body
    assert f'action="{reverse("classes:join")}"' in body and 'name="code"' in body

    second = other_class("Turma da noite")
    enrol_in(learner, klass=second)
    client.force_login(learner)
    body = client.get(reverse("home")).content.decode()
    assert "Turma de teste" in body and "Turma da noite" in body
    assert body.count("Laboratórios práticos") == 2  # each class's work on its own
    assert f'action="{reverse("classes:join")}"' not in body


def test_home_ships_htmx_from_the_project_not_a_cdn(client):
    body = client.get(reverse("home")).content.decode()
    assert "/static/django_htmx/htmx" in body
    assert "https://" not in body.split("</head>")[0]


def test_signup_creates_a_learner_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "maria",
            "first_name": "Maria",
            "email": "",
            "password1": "Conteiner-2026!",
            "password2": "Conteiner-2026!",
        },
    )
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.context["user"].username == "maria"
    assert not home.context["user_is_instructor"]


def test_signup_rejects_mismatched_passwords_with_a_message(client):
    response = client.post(
        reverse("signup"),
        {"username": "joao", "first_name": "João", "password1": "Conteiner-2026!", "password2": "outra-coisa-9"},
    )
    assert response.status_code == 200
    assert "Os dois campos de senha não correspondem." in response.content.decode()


def test_login_and_logout(client):
    UserFactory(username="ana")
    response = client.post(reverse("login"), {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).context["user"].is_authenticated
    client.post(reverse("logout"))
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_user_supplied_names_are_escaped(client):
    user = UserFactory(username="mallory", first_name='<script>alert("x")</script>')
    client.force_login(user)
    body = client.get(reverse("home")).content.decode()
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize("name", ["operations", "operations-ping"])
def test_operations_is_for_instructors_only(client, learner, name):
    url = reverse(name)
    anonymous = client.get(url) if name == "operations" else client.post(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    client.force_login(learner)
    response = client.get(url) if name == "operations" else client.post(url)
    assert response.status_code == 403


class FakeControl:
    """Celery's remote control as the broker would relay it: who answers the ping, and what
    each worker replies to the sandbox report."""

    def __init__(self, reports: dict[str, dict | None]):
        self.reports = reports
        self.asked: list[dict] = []

    def ping(self, timeout):
        return [{name: {"ok": "pong"}} for name in self.reports]

    def broadcast(self, command, **kwargs):
        self.asked.append({"command": command, **kwargs})
        return [{name: report} for name, report in self.reports.items() if report is not None]


class FakeRedis:
    def ping(self):
        return True

    def llen(self, name):
        return {"grading": 3}.get(name, 0)


@pytest.fixture
def fake_broker(monkeypatch):
    """The operations page's broker side, without a Redis server."""
    from core import selectors

    monkeypatch.setattr(selectors.redis.Redis, "from_url", lambda *args, **kwargs: FakeRedis())

    def install(reports):
        control = FakeControl(reports)
        monkeypatch.setattr(selectors.celery_app, "control", control)
        return control

    return install


def test_operations_page_shows_each_grading_host_as_its_worker_reports_it(client, instructor, fake_broker):
    from datetime import timedelta

    from django.utils import timezone

    from labs.models import Submission
    from tests.factories import lab_from_content

    lab = lab_from_content("primeiro-conteiner")
    now = timezone.now()
    for finished in (now, now - timedelta(hours=2), now - timedelta(days=3)):
        Submission.objects.create(
            learner=instructor,
            lab=lab,
            offering=offering_of(lab),
            dockerfile="FROM python:3.11-slim\n",
            status="passed",
            worker_host="grading@a",
            finished_at=finished,
        )
    control = fake_broker(
        {
            "grading@a": {
                "queues": ["grading"],
                "grading": True,
                "sandbox": {
                    "reachable": True,
                    "version": "26.1.5",
                    "userns": True,
                    "images": 7,
                    "containers": 1,
                    "disk_bytes": 3 * 1024**3,
                    "data_root": "/var/lib/estaleiro/docker/100000.100000",
                    "error": "",
                    "field_a_newer_worker_sends": 1,
                },
            },
            "grading@b": {
                "queues": ["grading"],
                "grading": True,
                "sandbox": {
                    "reachable": False,
                    "error": "sandbox daemon at tcp://sandbox:2376 unreachable: <b>refused</b>",
                },
            },
            "tasks@web": {"queues": ["celery"], "grading": False},
            "grading@slow": None,
        }
    )
    client.force_login(instructor)
    response = client.get(reverse("operations"))
    assert response.status_code == 200
    hosts = {host.name: host for host in response.context["status"].grading_hosts}
    assert sorted(hosts) == ["grading@a", "grading@b"]  # the tasks worker does not grade
    assert hosts["grading@a"].sandbox.version == "26.1.5" and hosts["grading@a"].graded_last_day == 2
    assert not hosts["grading@b"].sandbox.reachable and hosts["grading@b"].graded_last_day == 0
    assert response.context["status"].silent_workers == ["grading@slow"]
    assert response.context["status"].grading_queue_length == 3
    # Only the workers that answered the ping are asked, and the answer does not wait for
    # the timeout once each has replied.
    [asked] = control.asked
    assert (
        asked["command"] == "estaleiro_sandbox"
        and asked["limit"] == 4
        and sorted(asked["destination"]) == sorted(control.reports)
    )
    body = response.content.decode()
    assert "Hosts de correção" in body
    assert "/var/lib/estaleiro/docker/100000.100000" in body and "3,0\xa0GB" in body
    assert "&lt;b&gt;refused&lt;/b&gt;" in body and "<b>refused</b>" not in body
    assert "Não responderam a tempo:" in body and "grading@slow" in body


def test_operations_page_says_when_no_grading_worker_answers(client, instructor, fake_broker):
    fake_broker({"tasks@web": {"queues": ["celery"], "grading": False}})
    client.force_login(instructor)
    body = client.get(reverse("operations")).content.decode()
    assert "Nenhum worker de correção respondeu" in body
    assert "tasks@web" in body  # still listed among the workers alive


def test_healthz_answers_without_a_database_or_a_session(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert "sessionid" not in response.cookies
