import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_home_speaks_brazilian_portuguese_by_default(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="pt-br">' in body
    assert "Autoavaliação" in body
    assert "Laboratórios práticos" in body
    assert "Entrar" in body


def test_language_switch_to_english_sticks(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in body
    assert "Self-assessment" in body
    assert "Autoavaliação" not in body


def test_home_ships_htmx_from_the_project_not_a_cdn(client):
    body = client.get(reverse("home")).content.decode()
    assert "/static/django_htmx/htmx" in body
    assert "https://" not in body.split("</head>")[0]


def test_signup_creates_a_learner_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {"username": "maria", "first_name": "Maria", "email": "", "password1": "Conteiner-2026!", "password2": "Conteiner-2026!"},
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


def test_operations_page_reports_services(client, instructor):
    client.force_login(instructor)
    response = client.get(reverse("operations"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Daemon do sandbox" in body
    assert "Workers ativos" in body


def test_healthz_answers_without_a_database_or_a_session(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert "sessionid" not in response.cookies
