"""A lab's spec has one source: the LabVersion its hash names, read through labs.selectors.

Gradings and pages read the stored version (never the content folder again), each version
is validated once per process, and a submission is graded against the version it was made
for until a regrade moves it to the lab's current one."""

import pytest
from django.urls import reverse

from labs import content, selectors
from labs.models import Lab, LabVersion, Submission
from labs.services import lab_sync_from_dir, submission_grade, submission_regrade
from tests.factories import default_class

from .test_submission_services import create, fake_sandbox, sent_tasks  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def new_version(lab: Lab, spec_hash: str, **changes) -> LabVersion:
    """Another version of the lab, made current (as load_content does after an edit)."""
    current = LabVersion.objects.get(lab=lab, spec_hash=lab.spec_hash)
    version = LabVersion.objects.create(
        lab=lab, spec_hash=spec_hash, spec={**current.spec, **changes}, starter_files=current.starter_files
    )
    Lab.objects.filter(pk=lab.pk).update(spec_hash=spec_hash)
    return version


@pytest.fixture
def no_disk(monkeypatch, settings, tmp_path):
    """The content folder is gone and nothing may read lab content from disk."""
    settings.CONTENT_DIR = tmp_path

    def refuse(*args, **kwargs):
        raise AssertionError("lab content read from disk")

    monkeypatch.setattr(content, "read_tree", refuse)
    monkeypatch.setattr(content, "load_lab", refuse)


def test_sync_stores_the_spec_and_the_starter_files_under_the_hash(lab):
    version = LabVersion.objects.get(lab=lab)
    assert version.spec_hash == lab.spec_hash
    disk = content.find_lab(lab.slug)
    assert content.decode_files(version.starter_files) == disk.starter_files != {}
    stored = selectors.lab_version(lab=lab)
    assert stored.spec == disk.spec and stored.hash == disk.hash
    # Loading the same content again keeps one version.
    lab_sync_from_dir(lab_dir=disk.dir)
    assert LabVersion.objects.filter(lab=lab).count() == 1


def test_a_version_is_validated_once_then_read_from_memory(lab, django_assert_num_queries):
    selectors.lab_version(lab=lab)
    with django_assert_num_queries(0):
        again = selectors.lab_version(lab=lab)
    assert again is selectors.lab_version(lab=lab)


def test_an_unloaded_version_is_reported_not_guessed(lab):
    with pytest.raises(selectors.LabVersionMissing, match="load_content"):
        selectors.lab_version(lab=lab, spec_hash="never-loaded")


def test_grading_and_pages_read_no_content_from_disk(learner, lab, fake_sandbox, no_disk, client):  # noqa: F811
    submission = create(learner, lab)
    assert submission_grade(submission_id=submission.pk, worker_host="w1") == "passed"
    # The starter's files (requirements.txt, app.py) filled in what the learner did not send.
    assert {"app.py", "requirements.txt"} <= set(fake_sandbox.builds[0][1])
    client.force_login(learner)
    page = client.get(reverse("labs:detail", args=[default_class().pk, lab.slug]))
    assert (
        page.status_code == 200
        and reverse("labs:starter-file", args=[default_class().pk, lab.slug, "app.py"]) in page.content.decode()
    )
    assert (
        "from flask import Flask"
        in client.get(reverse("labs:starter-file", args=[default_class().pk, lab.slug, "app.py"])).content.decode()
    )


def test_a_submission_is_graded_against_the_version_it_was_made_for(
    learner,
    lab,
    fake_sandbox,  # noqa: F811
    sent_tasks,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    made_for = lab.spec_hash
    submission = create(learner, lab)
    # The content is reloaded while the submission waits: the lab's new version asks more.
    spec = LabVersion.objects.get(lab=lab).spec
    harder = [{**check, "points": check["points"] * 2} for check in spec["checks"]]
    new_version(lab, "harder", checks=harder)

    submission_grade(submission_id=submission.pk, worker_host="w1")
    submission.refresh_from_db()
    assert submission.spec_hash == made_for
    assert submission.max_score == submission.report["max_score"] == 100

    # A regrade follows the spec change: the lab's current version, and says so.
    with django_capture_on_commit_callbacks(execute=True):
        assert submission_regrade(submission=submission)
    assert Submission.objects.get(pk=submission.pk).spec_hash == "harder"
    submission_grade(submission_id=submission.pk, worker_host="w1")
    submission.refresh_from_db()
    assert submission.spec_hash == "harder" and submission.max_score == 200
