"""docker-compose.yml started for real, then used as a school's people would use it.

On the host engine of scripts/host-docker.sh (scripts/test.sh starts it), with the stand-in
images of stack_images.py where no registry answers: `up -d --build` in a copy of the
project with a generated `.env`, then, through the published port only, the home page, the
demo teacher's login, a learner's quiz answer saved, a lab submission built and graded by
the worker in the `sandbox` service (dind, reached over mutual TLS), the verdict on the
page and the operations page green. Then `down` (volumes kept) and `up` again: the same
answer and the same verdict are there.

The sandbox service runs with deploy/sandbox-unprivileged.yml (privileged containers do not
start on these machines) and SANDBOX_DISK_SIZE=0 (no loop devices in that container), and
the labs' base images reach its nested daemon through the estaleiro-cache volume, filled
from this host's prepare_sandbox cache (docs/OPERATIONS.md, "Offline servers").
"""

import re
import time

import pytest

from .live_stack import User, demo_accounts, forget_data, require_engine, running_stack
from .project import ROOT

pytestmark = pytest.mark.docker

LAB = "primeiro-conteiner"
GRADED_WITHIN = 600.0
REFERENCE = ROOT / "content" / "labs" / LAB / "reference"
RADIO = re.compile(r'<input type="radio" name="q(\d+)" value="(\d+)"')


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_engine()
    with running_stack(tmp_path_factory.mktemp("live") / "estaleiro") as live:
        yield live


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
    """The learner begins the demo class's first quiz and answers its first choice question."""
    home = learner.get("/").text
    quiz = re.search(r'href="(/turmas/\d+/questionarios/[\w-]+/)"', home)
    assert quiz, "no quiz offered on the learner's home page"
    attempt = learner.post(quiz[1] + "comecar/", {}, form_page=quiz[1])
    found = re.search(r"/questionarios/tentativas/(\d+)/", attempt.url)
    assert found, attempt.url
    path = f"/questionarios/tentativas/{found[1]}/"
    radio = RADIO.search(attempt.text)
    assert radio, "no choice question on the attempt's first page"
    question, choice = radio[1], radio[2]
    learner.post(path + "salvar/", {"page": "1", f"q{question}": choice, "go": "1"}, form_page=path)
    return {"path": path, "question": question, "choice": choice}


@pytest.fixture(scope="module")
def graded(stack, learner):
    """The lab's reference Dockerfile sent from the lab's page; its verdict once graded."""
    home = learner.get("/").text
    lab = re.search(rf'href="(/turmas/\d+/laboratorios/{LAB}/)"', home)
    assert lab, f"no {LAB} lab offered on the learner's home page"
    files = {
        "dockerfile": (None, (REFERENCE / "Dockerfile").read_text()),
        "dockerignore": (None, (REFERENCE / ".dockerignore").read_text()),
    }
    sent = learner.post(lab[1] + "enviar/", {}, form_page=lab[1], files=files)
    found = re.search(r"/laboratorios/entregas/(\d+)/", sent.url)
    assert found, f"the submission was not stored: {sent.url}\n{sent.text[-1500:]}"
    path = f"/laboratorios/entregas/{found[1]}/"
    started = time.monotonic()
    deadline = started + GRADED_WITHIN
    while time.monotonic() < deadline:
        page = learner.get(path).text
        verdict = re.search(r'<p class="verdict verdict-(\w+)">\s*<strong>([^<]+)</strong>', page)
        if verdict:
            stack.timings["grading"] = round(time.monotonic() - started, 1)
            return {"path": path, "status": verdict[1], "score": verdict[2].strip()}
        time.sleep(2)
    pytest.fail(f"no verdict within {GRADED_WITHIN:.0f} s on {path}\n{page[-2000:]}\n{stack.logs()}")


def test_the_home_page_answers_through_the_published_port(stack):
    page = User(stack.url).get("/")
    assert '<html lang="pt-br">' in page.text


def test_the_demo_teacher_logs_in(stack, accounts):
    teacher = User(stack.url)
    page = teacher.log_in(*accounts["teacher"]).text
    # Signed in (the menu names the user), on the home page that lists the demo class.
    assert 'class="nav-user"' in page and "Turma de demonstração" in page, page[-2000:]


def test_a_learners_quiz_answer_is_saved(learner, saved_answer):
    page = learner.get(saved_answer["path"]).text
    assert f'name="q{saved_answer["question"]}" value="{saved_answer["choice"]}" checked' in page


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


def test_down_and_up_again_loses_nothing(stack, learner, saved_answer, graded):
    stack.timed("down (restart)", "down")
    stack.timed("up (restart)", "up", "-d")
    stack.wait_until_served()
    # The learner's session is in the database too: the same cookie jar still works.
    attempt = learner.get(saved_answer["path"]).text
    assert f'name="q{saved_answer["question"]}" value="{saved_answer["choice"]}" checked' in attempt
    page = learner.get(graded["path"]).text
    verdict = re.search(r'<p class="verdict verdict-(\w+)">\s*<strong>([^<]+)</strong>', page)
    assert verdict and (verdict[1], verdict[2].strip()) == (graded["status"], graded["score"])


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
    attempt = learner.get(saved_answer["path"]).text
    assert f'name="q{saved_answer["question"]}" value="{saved_answer["choice"]}" checked' in attempt
    page = learner.get(graded["path"]).text
    assert f'<p class="verdict verdict-{graded["status"]}">' in page
