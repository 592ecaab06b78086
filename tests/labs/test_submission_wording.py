"""What the instructor's view of a submission says about platform retries."""

import pytest
from django.urls import reverse

from labs.models import Submission
from tests.factories import offering_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lang", "retries", "said"),
    [
        ("pt-br", 0, None),
        ("pt-br", 1, "avaliada de novo 1 vez pela plataforma"),
        ("pt-br", 2, "avaliada de novo 2 vezes pela plataforma"),
        ("en", 0, None),
        ("en", 1, "graded again 1 time by the platform"),
        ("en", 3, "graded again 3 times by the platform"),
    ],
)
def test_platform_retries_are_worded_and_hidden_when_none(client, lab, learner, instructor, lang, retries, said):
    submission = Submission.objects.create(
        learner=learner,
        lab=lab,
        offering=offering_of(lab),
        dockerfile="FROM python:3.11-slim\n",
        status=Submission.Status.PASSED,
        retries=retries,
    )
    client.force_login(instructor)
    if lang == "en":
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("labs:submission", args=[submission.pk])).content.decode()
    assert "novas tentativas da plataforma" not in page and "platform retries" not in page
    if said is None:
        assert "avaliada de novo" not in page and "graded again" not in page
    else:
        assert said in page
