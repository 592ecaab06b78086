"""docker-compose.yml started for real, then used as a school's people would use it.

On the host engine of scripts/host-docker.sh (scripts/test.sh starts it), with the stand-in
images of stack_images.py where no registry answers: the run's one stack (conftest.py: a
copy of the project with a generated `.env`, started on the previous release and upgraded
to this working tree), then, through the published port only, the home page, the
demo teacher's login, a learner's quiz answer saved, a lab submission built and graded by
the worker in the `sandbox` service (dind, reached over mutual TLS), the verdict on the
page and the operations page green. Then `down` (volumes kept) and `up` again: the same
answer and the same verdict are there.

The sandbox service runs with deploy/sandbox-unprivileged.yml (privileged containers do not
start on these machines) and SANDBOX_DISK_SIZE=0 (no loop devices in that container), and
the labs' base images reach its nested daemon through the estaleiro-cache volume, filled
from this host's prepare_sandbox cache (docs/OPERATIONS.md, "Offline servers").
"""

import pytest

from .live_stack import (
    User,
    answer_a_question,
    answer_is_checked,
    demo_accounts,
    forget_data,
    send_lab,
    verdict_on_page,
    wait_for_verdict,
)

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def stack(live):
    return live


@pytest.fixture(scope="module")
def accounts(stack):
    return demo_accounts(stack)


@pytest.fixture(scope="module")
def learner(stack, accounts):
    user = User(stack.url)
    user.log_in(*accounts["learner"])
    return user


@pytest.fixture(scope="module")
def saved_answer(learner):
    return answer_a_question(learner)


@pytest.fixture(scope="module")
def graded(stack, learner):
    """The lab's reference Dockerfile sent from the lab's page; its verdict once graded."""
    return wait_for_verdict(stack, learner, send_lab(learner))


def test_the_home_page_answers_through_the_published_port(stack):
    page = User(stack.url).get("/")
    assert '<html lang="pt-br">' in page.text


def test_the_demo_teacher_logs_in(stack, accounts):
    teacher = User(stack.url)
    page = teacher.log_in(*accounts["teacher"]).text
    # Signed in (the menu names the user), on the home page that lists the demo class.
    assert 'class="nav-user"' in page and "Turma de demonstração" in page, page[-2000:]


def test_a_learners_quiz_answer_is_saved(learner, saved_answer):
    assert answer_is_checked(learner, saved_answer)


def test_a_lab_submission_is_built_and_graded_in_the_sandbox_service(graded):
    assert graded["status"] == "passed", graded
    score, _, maximum = graded["score"].partition(" / ")
    assert score == maximum, graded


def test_the_sandbox_refuses_a_client_without_its_certificate(stack):
    """Mutual TLS: the worker's client certificate is what opens the sandbox's API."""
    probe = (
        "import socket, ssl\n"
        "context = ssl.create_default_context(cafile='/certs/client/ca.pem')\n"
        "context.check_hostname = False\n"
        "s = context.wrap_socket(socket.create_connection(('sandbox', 2376), timeout=10))\n"
        "try:\n"
        "    s.sendall(b'GET /_ping HTTP/1.0\\r\\n\\r\\n'); print('answer', s.recv(64))\n"
        "except (ssl.SSLError, OSError) as exc:\n"
        "    print('refused', type(exc).__name__)\n"
    )
    done = stack.compose("exec", "-T", "worker", "python", "-c", probe, check=False)
    assert "refused" in done.stdout or "SSL" in done.stderr, (done.stdout, done.stderr[-1500:])


def test_the_operations_page_is_green(stack, accounts, graded):
    teacher = User(stack.url)
    teacher.log_in(*accounts["teacher"])
    page = teacher.get("/operacoes/?fresh=1").text
    assert "badge-bad" not in page, page[-3000:]
    assert page.count("badge-ok") >= 2, page[-3000:]
    answer = teacher.post("/operacoes/ping/", {}, form_page="/operacoes/").text
    assert "badge-bad" not in answer and "badge-ok" in answer, answer[-3000:]


def test_a_worker_stopped_while_it_starts_stops_at_once(stack):
    """Stopped a moment after its start, before Celery has its signal handlers: the init
    (`init: true`) ends it with the signal (exit 143). As PID 1 it ignored the signal and
    the engine killed it when the wait ran out (exit 137): 6 minutes in a `down`."""
    stack.compose("stop", "-t", "20", "worker")
    stack.compose("start", "worker")
    stack.compose("stop", "-t", "20", "worker")
    worker = stack.container("worker")
    code = stack.inspect(worker, "{{.State.ExitCode}}")
    stack.compose("start", "worker")
    assert code != "137", "the worker ignored SIGTERM and was killed when the stop's wait ran out"


def test_down_and_up_again_loses_nothing(stack, learner, saved_answer, graded):
    stack.timed("down (restart)", "down")
    stack.timed("up (restart)", "up", "-d")
    stack.wait_until_served()
    # The learner's session is in the database too: the same cookie jar still works.
    assert answer_is_checked(learner, saved_answer)
    assert verdict_on_page(learner, graded["path"]) == (graded["status"], graded["score"])


# What a backup must bring back, compared row for row (each table's rows as text, hashed).
BACKED_UP = [
    "auth_user",
    "classes_membership",
    "quizzes_attempt",
    "quizzes_answer",
    "quizzes_review",
    "labs_submission",
]


def fingerprint(stack) -> dict[str, str]:
    query = " union all ".join(
        f"select '{table}', count(*)::text || ' ' || md5(coalesce(string_agg(t::text, '|' order by t.id), '')) "
        f"from {table} t"
        for table in BACKED_UP
    )
    done = stack.compose("exec", "-T", "postgres", "psql", "-U", "estaleiro", "-d", "estaleiro", "-At", "-c", query)
    return dict(line.split("|", 1) for line in done.stdout.splitlines() if "|" in line)


def test_a_backup_restores_into_a_fresh_stack(stack, learner, saved_answer, graded, tmp_path):
    """docs/OPERATIONS.md's pg_dump backup, restored as it says into a stack whose database
    and Redis started empty: the same learners, attempts, answers and submissions."""
    before = fingerprint(stack)
    assert int(before["labs_submission"].split()[0]) >= 1 and int(before["quizzes_answer"].split()[0]) >= 1, before
    dump = tmp_path / "estaleiro.dump"
    with dump.open("wb") as out:
        stack.compose_to(out, "exec", "-T", "postgres", "pg_dump", "-U", "estaleiro", "-d", "estaleiro", "-Fc")
    assert dump.stat().st_size > 0
    # A fresh stack: the database and Redis volumes gone, migrate run on an empty database.
    forget_data(stack)
    stack.timed("up (fresh)", "up", "-d")
    stack.wait_until_served()
    assert fingerprint(stack) != before
    stack.compose("stop", "web", "worker", "beat")
    with dump.open("rb") as backup:
        stack.compose_from(
            backup,
            "exec", "-T", "postgres", "pg_restore", "-U", "estaleiro", "-d", "estaleiro",
            "--clean", "--if-exists", "--no-owner",
        )  # fmt: skip
    stack.timed("up (restored)", "up", "-d")
    stack.wait_until_served()
    assert fingerprint(stack) == before
    # Sessions are rows too: the learner's browser is still signed in and sees the same work.
    assert answer_is_checked(learner, saved_answer)
    assert verdict_on_page(learner, graded["path"]) == (graded["status"], graded["score"])
