"""The class management pages: who reaches each, and what each page does with what a teacher
types (clear messages, nothing half-saved)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from classes.models import Class, ClassEvent, Extension, Membership, Offering, Role
from classes.services import ExtensionTerms, extensions_grant
from tests.factories import (
    UserFactory,
    default_class,
    enrol_in,
    lab_from_content,
    offering_of,
    other_class,
    quiz_from_content,
)

pytestmark = pytest.mark.django_db

MANAGE, SEE_WORK, RESTORE = "manage", "see_work", "restore"


@pytest.fixture
def world(instructor, learner):
    klass = default_class()
    assistant = UserFactory(username="monitora", enrol=False)
    enrol_in(assistant, role=Role.ASSISTANT)
    outsider = UserFactory(username="prof-b", instructor=True, enrol=False)
    enrol_in(outsider, role=Role.TEACHER, klass=other_class())
    lab = lab_from_content("primeiro-conteiner")
    offering = offering_of(lab)
    extension = Extension.objects.create(offering=offering, learner=learner, extra_minutes=5, granted_by=instructor)
    membership = Membership.objects.get(klass=klass, user=learner)
    # As a roster import leaves a new account: no password yet, never logged in.
    fresh = UserFactory(username="recem-chegada")
    fresh.set_unusable_password()
    fresh.save()
    return {
        "klass": klass,
        "teacher": instructor,
        "assistant": assistant,
        "learner": learner,
        "outsider": outsider,
        "offering": offering,
        "extension": extension,
        "membership": membership,
        "fresh": Membership.objects.get(klass=klass, user=fresh),
    }


# url name -> (who may, method, extra kwargs taken from the world)
PAGES = {
    "classes:settings": (MANAGE, "get", {}),
    "classes:new-code": (MANAGE, "post", {}),
    "classes:archive": (MANAGE, "post", {}),
    "classes:unarchive": (RESTORE, "post", {}),
    "classes:content": (MANAGE, "get", {}),
    "classes:offering-add": (MANAGE, "post", {}),
    "classes:offering": (MANAGE, "get", {"offering_id": "offering"}),
    "classes:people": (SEE_WORK, "get", {}),
    "classes:member-add": (MANAGE, "post", {}),
    "classes:roster-import": (MANAGE, "get", {}),
    "classes:member-role": (MANAGE, "post", {"membership_id": "membership"}),
    "classes:member-remove": (MANAGE, "post", {"membership_id": "membership"}),
    "classes:member-password-link": (MANAGE, "post", {"membership_id": "fresh"}),
    "classes:extensions": (MANAGE, "get", {}),
    "classes:extension-revoke": (MANAGE, "post", {"extension_id": "extension"}),
    "classes:log": (MANAGE, "get", {}),
}


def url_of(name, world):
    _access, _method, extra = PAGES[name]
    kwargs = {"class_id": world["klass"].pk, **{k: world[v].pk for k, v in extra.items()}}
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_who_reaches_each_management_page(client, world, name):
    access, method, _extra = PAGES[name]
    url = url_of(name, world)
    call = getattr(client, method)

    anonymous = call(url)
    assert anonymous.status_code == 302 and "/contas/login/" in anonymous.url

    client.force_login(world["outsider"])  # a teacher of another class: not even that it exists
    assert call(url).status_code == 404

    client.force_login(world["learner"])
    assert call(url).status_code == 403

    client.force_login(world["assistant"])
    assert call(url).status_code == (200 if access == SEE_WORK else 403), name

    client.force_login(world["teacher"])
    assert call(url).status_code in (200, 302, 400), name  # 400: a POST without its form


def test_only_instructors_create_classes_and_become_their_teacher(client, world):
    url = reverse("classes:create")
    assert "/contas/login/" in client.get(url).url
    client.force_login(world["learner"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "Intrusa"}).status_code == 403
    client.force_login(world["outsider"])
    page = client.get(reverse("classes:list"))
    assert 'id="create"' in page.content.decode() and 'id="id_name"' in page.content.decode()
    refused = client.post(url, {"name": "", "term": "2026.2", "starts_on": "2026-08-10", "ends_on": "2026-08-01"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Este campo é obrigatório" in body and "A turma não pode terminar antes de começar." in body
    created = client.post(
        url, {"name": "Turma C", "term": "2026.2", "starts_on": "2026-08-01", "ends_on": "2026-12-10"}
    )
    klass = Class.objects.get(name="Turma C")
    assert created.url == reverse("classes:detail", kwargs={"class_id": klass.pk})
    assert Membership.objects.get(klass=klass, user=world["outsider"]).role == Role.TEACHER
    assert str(klass.starts_on) == "2026-08-01"


def test_the_class_page_and_menu_link_the_management_pages_for_teachers_only(client, world):
    klass = world["klass"]
    detail = reverse("classes:detail", kwargs={"class_id": klass.pk})
    client.force_login(world["teacher"])
    body = client.get(detail).content.decode()
    for name in ("settings", "content", "people", "extensions", "log"):
        assert reverse(f"classes:{name}", kwargs={"class_id": klass.pk}) in body
    assert 'data-nav="extensions"' in body  # the class menu too
    client.force_login(world["assistant"])
    body = client.get(detail).content.decode()
    assert reverse("classes:people", kwargs={"class_id": klass.pk}) in body
    assert reverse("classes:settings", kwargs={"class_id": klass.pk}) not in body
    client.force_login(world["learner"])
    body = client.get(detail).content.decode()
    assert reverse("classes:people", kwargs={"class_id": klass.pk}) not in body


def test_settings_show_the_join_link_and_save_changes(client, world):
    klass = world["klass"]
    client.force_login(world["teacher"])
    url = reverse("classes:settings", kwargs={"class_id": klass.pk})
    body = client.get(url).content.decode()
    assert klass.join_code in body
    assert "http://testserver" + reverse("classes:join-code", kwargs={"code": klass.join_code}) in body
    response = client.post(
        url, {"name": "Turma renomeada", "term": "2026.2", "starts_on": "", "ends_on": "", "lab_score_rule": "best"}
    )
    assert response.status_code == 302
    klass.refresh_from_db()
    assert klass.name == "Turma renomeada" and not klass.join_open
    event = ClassEvent.objects.filter(klass=klass, action=ClassEvent.Action.SETTINGS).latest("id")
    assert set(event.detail["fields"]) >= {"name", "join_open"}
    old = klass.join_code
    client.post(reverse("classes:new-code", kwargs={"class_id": klass.pk}))
    klass.refresh_from_db()
    assert klass.join_code != old


def test_archive_then_restore_from_the_class_page(client, world):
    klass = world["klass"]
    client.force_login(world["teacher"])
    client.post(reverse("classes:archive", kwargs={"class_id": klass.pk}))
    assert Class.objects.get(pk=klass.pk).is_archived
    assert client.get(reverse("classes:settings", kwargs={"class_id": klass.pk})).status_code == 403
    body = client.get(reverse("classes:detail", kwargs={"class_id": klass.pk})).content.decode()
    assert reverse("classes:unarchive", kwargs={"class_id": klass.pk}) in body
    client.post(reverse("classes:archive", kwargs={"class_id": klass.pk}))  # a second click changes nothing
    assert ClassEvent.objects.filter(klass=klass, action=ClassEvent.Action.ARCHIVED).count() == 1
    client.force_login(world["assistant"])
    assert client.post(reverse("classes:unarchive", kwargs={"class_id": klass.pk})).status_code == 403
    assert client.post(reverse("classes:archive", kwargs={"class_id": klass.pk})).status_code == 403
    client.force_login(world["teacher"])
    client.post(reverse("classes:unarchive", kwargs={"class_id": klass.pk}))
    assert not Class.objects.get(pk=klass.pk).is_archived


def test_content_page_adds_a_quiz_and_validates_lab_deadlines(client, world):
    klass = world["klass"]
    offering = world["offering"]
    quiz = quiz_from_content()
    Offering.objects.filter(klass=klass, quiz=quiz).delete()
    client.force_login(world["teacher"])
    page = client.get(reverse("classes:content", kwargs={"class_id": klass.pk})).content.decode()
    assert f'value="quiz:{quiz.pk}"' in page and f'value="lab:{offering.lab_id}"' not in page
    added = client.post(reverse("classes:offering-add", kwargs={"class_id": klass.pk}), {"content": f"quiz:{quiz.pk}"})
    quiz_offering = Offering.objects.get(klass=klass, quiz=quiz)
    assert added.url == reverse("classes:offering", kwargs={"class_id": klass.pk, "offering_id": quiz_offering.pk})
    assert (
        client.post(
            reverse("classes:offering-add", kwargs={"class_id": klass.pk}), {"content": f"quiz:{quiz.pk}"}
        ).status_code
        == 400
    )

    url = reverse("classes:offering", kwargs={"class_id": klass.pk, "offering_id": offering.pk})
    form_page = client.get(url).content.decode()
    for field in ("opens_at", "due_at", "closes_at", "late_policy", "late_penalty_percent", "is_visible"):
        assert f'id="id_{field}"' in form_page
    assert 'type="datetime-local"' in form_page
    bad = client.post(
        url,
        {
            "opens_at": "2026-03-10T08:00",
            "due_at": "2026-03-20T23:59",
            "closes_at": "2026-03-15T23:59",
            "late_policy": "penalty",
            "late_penalty_percent": "150",
            "is_visible": "on",
        },
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "A porcentagem de penalidade vai de 0 a 100." in body
    assert "antes do prazo de entrega" in body
    offering.refresh_from_db()
    assert offering.due_at is None
    good = client.post(
        url,
        {
            "opens_at": "2026-03-10T08:00",
            "due_at": "2026-03-20T23:59",
            "closes_at": "2026-03-25T23:59",
            "late_policy": "penalty",
            "late_penalty_percent": "20",
            "is_visible": "on",
        },
    )
    assert good.status_code == 302
    offering.refresh_from_db()
    local_due = timezone.localtime(offering.due_at)
    assert (local_due.day, local_due.hour, local_due.minute) == (20, 23, 59)  # read in the site's time zone
    assert offering.late_penalty_percent == 20
    event = ClassEvent.objects.filter(klass=klass, action=ClassEvent.Action.OFFERING).latest("id")
    assert set(event.detail["fields"]) == {"opens_at", "due_at", "closes_at", "late_penalty_percent"}

    quiz_url = reverse("classes:offering", kwargs={"class_id": klass.pk, "offering_id": quiz_offering.pk})
    quiz_page = client.get(quiz_url).content.decode()
    for field in ("attempts_allowed", "grading_method", "time_limit_minutes", "reveal_answers", "marks_closed"):
        assert f'id="id_{field}"' in quiz_page
    assert 'id="id_due_at"' not in quiz_page
    bad = client.post(
        quiz_url,
        {
            "opens_at": "2026-03-10T08:00",
            "closes_at": "2026-03-09T08:00",
            "attempts_allowed": "2",
            "grading_method": "highest",
            "reveal_answers": "after_close",
        },
    )
    assert "O fechamento deve vir depois da abertura." in bad.content.decode()


def test_people_page_adds_changes_and_removes(client, world):
    klass = world["klass"]
    client.force_login(world["teacher"])
    UserFactory(username="nova", email="nova@escola.example", enrol=False)
    response = client.post(
        reverse("classes:member-add", kwargs={"class_id": klass.pk}),
        {"login": "nova@escola.example", "role": "assistant"},
    )
    assert response.status_code == 302
    nova = Membership.objects.get(klass=klass, user__username="nova")
    assert nova.role == Role.ASSISTANT
    missing = client.post(
        reverse("classes:member-add", kwargs={"class_id": klass.pk}), {"login": "ninguem", "role": "learner"}
    )
    assert missing.status_code == 400 and "Nenhuma conta" in missing.content.decode()
    client.post(
        reverse("classes:member-role", kwargs={"class_id": klass.pk, "membership_id": nova.pk}), {"role": "learner"}
    )
    assert Membership.objects.get(pk=nova.pk).role == Role.LEARNER
    teacher_membership = Membership.objects.get(klass=klass, user=world["teacher"])
    page = client.post(
        reverse("classes:member-remove", kwargs={"class_id": klass.pk, "membership_id": teacher_membership.pk}),
        follow=True,
    )
    assert Membership.objects.filter(pk=teacher_membership.pk).exists()
    assert "pelo menos um(a) professor(a)" in page.content.decode()
    client.post(reverse("classes:member-remove", kwargs={"class_id": klass.pk, "membership_id": nova.pk}))
    assert not Membership.objects.filter(pk=nova.pk).exists()

    client.force_login(world["assistant"])
    body = client.get(reverse("classes:people", kwargs={"class_id": klass.pk})).content.decode()
    assert world["learner"].username in body and "member-add-form" not in body


def test_a_set_password_link_only_for_an_account_nobody_used(client, world):
    klass = world["klass"]
    client.force_login(world["teacher"])
    fresh = world["fresh"]
    page = client.post(
        reverse("classes:member-password-link", kwargs={"class_id": klass.pk, "membership_id": fresh.pk})
    )
    assert page.status_code == 200 and "/contas/reset/" in page.content.decode()
    client.force_login(world["learner"])  # a learner who has used their account: never a link for it
    world["learner"].set_unusable_password()
    world["learner"].save()
    client.force_login(world["teacher"])
    url = reverse(
        "classes:member-password-link", kwargs={"class_id": klass.pk, "membership_id": world["membership"].pk}
    )
    refused = client.post(url, follow=True).content.decode()
    assert "/contas/reset/" not in refused and "só o dono dela muda a senha" in refused
    used = Membership.objects.get(klass=klass, user=world["assistant"])
    url = reverse("classes:member-password-link", kwargs={"class_id": klass.pk, "membership_id": used.pk})
    assert "/contas/reset/" not in client.post(url, follow=True).content.decode()


def test_roster_upload_reports_every_bad_line_and_imports_nothing(client, world):
    klass = world["klass"]
    client.force_login(world["teacher"])
    url = reverse("classes:roster-import", kwargs={"class_id": klass.pk})
    users = User.objects.count()
    data = "nome;usuario;email\r\nAna;ana.nova;ana@escola.example\r\n;sem.nome;\r\nCarla;;carla@\r\n".encode("cp1252")
    response = client.post(url, {"file": SimpleUploadedFile("turma.csv", data, content_type="text/csv")})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nada foi importado: 2 problemas em turma.csv" in body
    assert "Linha 3" in body and "Linha 4" in body and "Linha 2" not in body
    assert User.objects.count() == users

    data = "nome;usuario;email\r\nAna Conceição;ana.nova;ana@escola.example\r\n".encode("cp1252")
    response = client.post(url, {"file": SimpleUploadedFile("turma.csv", data, content_type="text/csv")})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="roster-result"' in body and "ana.nova" in body and "/contas/reset/" in body
    assert Membership.objects.get(klass=klass, user__username="ana.nova").role == Role.LEARNER
    assert User.objects.get(username="ana.nova").first_name == "Ana Conceição"


def test_roster_upload_over_the_size_cap_is_refused(client, world, settings):
    klass = world["klass"]
    client.force_login(world["teacher"])
    url = reverse("classes:roster-import", kwargs={"class_id": klass.pk})
    big = b"nome;email\n" + b"x" * (2 * 1024 * 1024 + 1)
    response = client.post(url, {"file": SimpleUploadedFile("grande.csv", big, content_type="text/csv")})
    assert response.status_code == 400
    assert "O arquivo tem mais de 2 MB" in response.content.decode()


def test_extensions_page_grants_to_a_group_and_revokes(client, world):
    klass = world["klass"]
    offering = world["offering"]
    group = [UserFactory(username=f"aluno{i}") for i in range(3)]
    client.force_login(world["teacher"])
    url = reverse("classes:extensions", kwargs={"class_id": klass.pk})
    page = client.get(url).content.decode()
    for field in ("id_offering", "id_learners_0", "id_everyone", "id_due_at", "id_closes_at", "id_time_multiplier"):
        assert f'id="{field}"' in page
    nothing = client.post(url, {"offering": offering.pk, "learners": [group[0].pk]})
    assert nothing.status_code == 400 and "Dê uma nova data" in nothing.content.decode()
    wrong = client.post(url, {"offering": offering.pk, "learners": [group[0].pk], "time_multiplier": "2"})
    assert wrong.status_code == 400 and "não têm limite de tempo" in wrong.content.decode()
    response = client.post(
        url,
        {
            "offering": offering.pk,
            "learners": [u.pk for u in group[:2]],
            "due_at": "2026-04-01T23:59",
            "reason": "<script>alert(1)</script>",
        },
    )
    assert response.status_code == 302
    extended = Extension.objects.filter(offering=offering, learner__in=group)
    assert sorted(e.learner.username for e in extended) == ["aluno0", "aluno1"]
    listing = client.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing and "<script>alert(1)" not in listing
    everyone = client.post(url, {"offering": offering.pk, "everyone": "on", "closes_at": "2026-04-10T23:59"})
    assert everyone.status_code == 302
    learners = Membership.objects.filter(klass=klass, role=Role.LEARNER).count()
    assert Extension.objects.filter(offering=offering).count() == learners
    revoke = reverse("classes:extension-revoke", kwargs={"class_id": klass.pk, "extension_id": extended.first().pk})
    client.post(revoke)
    assert Extension.objects.filter(offering=offering).count() == learners - 1


def test_an_extension_of_another_class_cannot_be_revoked_through_this_one_and_twice_is_once(client, world):
    other = other_class()
    lab_offering = offering_of(world["offering"].lab, klass=other)
    someone = UserFactory(username="da-outra", enrol=False)
    enrol_in(someone, klass=other)
    extensions_grant(
        offering=lab_offering,
        learners=[someone],
        terms=ExtensionTerms(closes_at=timezone.now() + timedelta(days=3)),
        granted_by=None,
    )
    foreign = Extension.objects.get(offering=lab_offering)
    client.force_login(UserFactory(username="prof-da-outra", instructor=True, enrol=False))
    enrol_in(User.objects.get(username="prof-da-outra"), role=Role.TEACHER, klass=other)
    page = client.get(reverse("classes:extensions", kwargs={"class_id": other.pk}))  # granted by no one left
    assert page.status_code == 200 and "da-outra" in page.content.decode()
    client.force_login(world["teacher"])
    url = reverse("classes:extension-revoke", kwargs={"class_id": world["klass"].pk, "extension_id": foreign.pk})
    assert client.post(url, follow=True).redirect_chain[-1][0] == reverse(
        "classes:extensions", kwargs={"class_id": world["klass"].pk}
    )
    assert Extension.objects.filter(pk=foreign.pk).exists()
    mine = world["extension"]
    revoke = reverse("classes:extension-revoke", kwargs={"class_id": world["klass"].pk, "extension_id": mine.pk})
    client.post(revoke)
    again = client.post(revoke, follow=True)  # a second click: nothing more to do, and said so
    assert again.status_code == 200 and "não está mais em vigor" in again.content.decode()


def test_the_class_log_reads_newest_first_and_escapes_what_people_typed(client, world):
    klass = world["klass"]
    client.force_login(world["teacher"])
    extensions_grant(
        offering=world["offering"],
        learners=[world["learner"]],
        terms=ExtensionTerms(extra_attempts=0, due_at=timezone.now() + timedelta(days=2), reason="<b>laudo</b>"),
        granted_by=world["teacher"],
    )
    ClassEvent.objects.create(
        klass=klass, actor=None, action=ClassEvent.Action.SETTINGS, summary="<i>x</i>", detail={"x": "<img src=x>"}
    )
    body = client.get(reverse("classes:log", kwargs={"class_id": klass.pk})).content.decode()
    assert "&lt;b&gt;laudo&lt;/b&gt;" in body and "<b>laudo</b>" not in body
    assert "&lt;img src=x&gt;" in body and "&lt;i&gt;x&lt;/i&gt;" in body
    assert body.index("Configurações da turma alteradas") < body.index("Prorrogação concedida")


def test_the_pages_speak_english_on_request(client, world):
    client.force_login(world["teacher"])
    client.cookies["django_language"] = "en"
    body = client.get(reverse("classes:extensions", kwargs={"class_id": world["klass"].pk})).content.decode()
    assert "Grant the extension" in body


def test_a_new_due_date_set_on_the_page_makes_past_submissions_late(client, world):
    from labs.models import Submission

    offering = world["offering"]
    learner = UserFactory(username="atrasada")
    submission = Submission.objects.create(
        learner=learner, lab=offering.lab, offering=offering, dockerfile="FROM python:3.11-slim\n", status="passed"
    )
    due = timezone.localtime(submission.created_at - timedelta(days=1, hours=2))
    client.force_login(world["teacher"])
    url = reverse("classes:offering", kwargs={"class_id": world["klass"].pk, "offering_id": offering.pk})
    response = client.post(
        url,
        {
            "due_at": due.strftime("%Y-%m-%dT%H:%M"),
            "late_policy": "penalty",
            "late_penalty_percent": "15",
            "is_visible": "on",
        },
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.late_seconds > 26 * 3600
    assert submission.late_penalty == pytest.approx(0.30)  # two started days at 15% each
    # An extension for this learner takes the penalty away again.
    extensions_grant(
        offering=offering,
        learners=[learner],
        terms=ExtensionTerms(due_at=submission.created_at + timedelta(hours=1)),
        granted_by=world["teacher"],
    )
    submission.refresh_from_db()
    assert (submission.late_seconds, submission.late_penalty) == (0, 0)


@pytest.mark.parametrize("extra", [1024, 1024 * 1024 + 1024], ids=["stopped-as-it-arrives", "refused-unread"])
def test_a_roster_larger_than_any_upload_gets_the_roster_page_not_the_labs_message(client, world, settings, extra):
    client.force_login(world["teacher"])
    url = reverse("classes:roster-import", kwargs={"class_id": world["klass"].pk})
    huge = b"nome;email\n" + b"x" * (settings.SUBMISSION_MAX_BYTES + extra)
    response = client.post(url, {"file": SimpleUploadedFile("enorme.csv", huge, content_type="text/csv")})
    assert response.status_code == 413
    body = response.content.decode()
    assert "O arquivo tem mais de 2 MB" in body and 'id="roster-form"' in body
    assert "arquivos iniciais" not in body  # the labs' own refusal speaks of starter files


def test_a_refused_settings_form_leaves_the_page_s_class_as_it_is(client, world):
    klass = world["klass"]
    client.force_login(world["teacher"])
    url = reverse("classes:settings", kwargs={"class_id": klass.pk})
    response = client.post(url, {"name": "Nome novo", "starts_on": "2026-05-01", "ends_on": "2026-04-01"})
    assert response.status_code == 400
    body = response.content.decode()
    assert f"<title>Configurações · {klass}" in body
    assert Class.objects.get(pk=klass.pk).name == klass.name
