"""Uploads are bounded before they cost anything: a body declared too large is refused
unread (413), a part or a count past the limits stops the upload as it streams, a chunked
body is refused (411), and each refusal is a clear message on the lab page."""

import io
import tracemalloc

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart
from django.urls import reverse

from labs.models import Submission
from tests.factories import default_class

pytestmark = pytest.mark.django_db


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self):
        return True

    def read(self, *args):
        raise AssertionError("the body of a request declared too large was read")

    readline = readinto = read


def multipart(**fields) -> bytes:
    return encode_multipart(BOUNDARY, fields)


def post_measured(client, url: str, payload: bytes):
    """POST a prepared body and return (response, peak bytes the server side allocated): the
    test client's own copy of the body is made before tracing starts."""
    stream = FakePayload(payload)
    tracemalloc.start()
    try:
        response = client.generic(
            "POST", url, b"", CONTENT_TYPE=MULTIPART_CONTENT, CONTENT_LENGTH=str(len(payload)), **{"wsgi.input": stream}
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak


def named(data: bytes, name: str):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_a_body_declared_too_large_is_refused_unread_with_413(client, learner, lab, settings):
    client.force_login(learner)
    declared = settings.REQUEST_MAX_BYTES + 1
    response = client.generic(
        "POST",
        reverse("labs:submit", args=[default_class().pk, lab.slug]),
        b"",
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(declared),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    body = response.content.decode()
    assert "maior que 5 MB" in body and 'class="form-errors"' in body and "Dockerfile" in body  # the lab page
    assert not Submission.objects.exists()


def test_an_oversize_upload_is_not_buffered(client, learner, lab, settings):
    """50 MB sent with its true length: refused while the process allocates almost nothing."""
    client.force_login(learner)
    payload = multipart(dockerfile="FROM python:3.11-slim\n", files=named(b"\0" * (50 * 1024 * 1024), "big.bin"))
    response, peak = post_measured(client, reverse("labs:submit", args=[default_class().pk, lab.slug]), payload)
    assert response.status_code == 413
    assert peak < len(payload) / 20, f"peak {peak} bytes for a {len(payload)}-byte body"


def test_a_part_past_the_limit_stops_the_upload_midway(client, learner, lab, settings):
    """Under the request cap but over the submission's: the handler stops at the limit and
    what the learner typed is kept."""
    settings.SUBMISSION_MAX_BYTES = 200_000
    client.force_login(learner)
    client.get(
        reverse("labs:detail", args=[default_class().pk, lab.slug])
    )  # the page's templates compiled before measuring
    payload = multipart(dockerfile="FROM python:3.11-slim\n# meu texto\n", files=named(b"x" * 4_000_000, "big.txt"))
    assert len(payload) < settings.REQUEST_MAX_BYTES  # past the middleware: the handler's case
    response, peak = post_measured(client, reverse("labs:submit", args=[default_class().pk, lab.slug]), payload)
    assert response.status_code == 413
    body = response.content.decode()
    assert "maior que 0,2 MB" in body and "# meu texto" in body
    assert peak < len(payload) / 4, f"peak {peak} bytes for a {len(payload)}-byte body: the part was kept whole"
    assert not Submission.objects.exists()


def test_too_many_files_are_refused_with_a_message(client, learner, lab, settings):
    settings.SUBMISSION_MAX_FILES = 3
    client.force_login(learner)
    files = [named(b"a", f"f{n}.txt") for n in range(6)]
    response = client.post(
        reverse("labs:submit", args=[default_class().pk, lab.slug]),
        {"dockerfile": "FROM python:3.11-slim\n", "files": files},
    )
    assert response.status_code == 413
    assert "no máximo 3 arquivos" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_chunked_body_is_refused_with_411(client, learner, lab):
    client.force_login(learner)
    response = client.generic(
        "POST",
        reverse("labs:submit", args=[default_class().pk, lab.slug]),
        b"",
        content_type=MULTIPART_CONTENT,
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 411


def test_a_too_large_body_elsewhere_gets_the_plain_refusal_page(client):
    response = client.generic(
        "POST",
        reverse("login"),
        b"",
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(100 * 1024 * 1024),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413 and "não foi recebido" in response.content.decode().lower()


def test_a_submission_within_the_limits_still_goes_through(client, learner, lab, no_tasks):
    client.force_login(learner)
    response = client.post(
        reverse("labs:submit", args=[default_class().pk, lab.slug]),
        {"dockerfile": "FROM python:3.11-slim\n", "files": [named(b"flask\n", "requirements.txt")]},
    )
    assert response.status_code == 302 and Submission.objects.count() == 1


def test_an_anonymous_oversize_post_is_refused_too(client, lab):
    response = client.generic(
        "POST",
        reverse("labs:submit", args=[default_class().pk, lab.slug]),
        b"",
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(100 * 1024 * 1024),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
