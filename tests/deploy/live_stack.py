"""The Compose stack of docker-compose.yml, started for real on a host engine of its own.

A temporary copy of the project with a generated `.env` (random secrets, the published
port on 127.0.0.1) is brought up with scripts/compose.sh (Compose v2 or Debian's v1)
against the engine of scripts/host-docker.sh; a user's HTTP client (a cookie jar, the CSRF
token read from the forms) then drives it through the published port only.

The project name is fixed, so the volumes that only hold caches survive between runs: the
nested sandbox daemon's data (the labs' base images) and estaleiro-cache. The database's
and Redis's volumes are removed before each start: every run starts with no data.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from . import compose_v2
from .project import IN_CI, ROOT
from .stack_images import ensure_stack_images

PROJECT = "estaleiro-live"
ENGINE_ENV = "ESTALEIRO_HOST_DOCKER"
DEFAULT_ENGINE = "unix:///run/estaleiro-host/docker.sock"
# Data that must start empty in every run; the other volumes are caches.
DATA_VOLUMES = ["postgres-data", "redis-data"]
# What prepare_sandbox needs in its cache to make the labs' bases with no network (the
# root file systems, CPython's build, the wheels); the Debian packages and sources that
# only serve to make them again are left out.
BASE_CACHE = Path(os.environ.get("ESTALEIRO_CACHE_DIR", "/var/cache/estaleiro")) / "base-images"
PREFILL = (
    "set -e; to=/var/cache/estaleiro/base-images; mkdir -p $to/rootfs $to/sources; "
    'for f in /from/rootfs/*; do case "${f##*/}" in cpython-builder-*) ;; *) cp -u "$f" $to/rootfs/ ;; esac; done; '
    "cp -ru /from/cpython /from/wheels $to/; "
    'for d in /from/sources/wheels-*; do cp -ru "$d" $to/sources/; done'
)
IGNORED = shutil.ignore_patterns(".git", ".venv", "var", "node_modules", "__pycache__", "*.pyc", ".env")


def engine() -> str:
    return os.environ.get(ENGINE_ENV, DEFAULT_ENGINE)


def engine_answers(url: str) -> bool:
    path = url.removeprefix("unix://")
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(3)
            s.connect(path)
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in s.recv(256)
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    directory: Path
    port: int
    timings: dict[str, float] = field(default_factory=dict)
    # Compose's global arguments (`-f FILE … --project-directory .`); none: docker-compose.yml
    # and COMPOSE_FILE from .env.
    files: tuple[str, ...] = ()
    project: str = PROJECT
    # A DOCKER_CONFIG whose CLI plugins hold Compose v2 (compose_v2.py); none: the machine's
    # own Compose, whichever scripts/compose.sh finds.
    docker_config: Path | None = None
    # The demo accounts, once made (demo_accounts()).
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        # Compose prefers the shell's variables to .env's when it fills in the files: the
        # test runner's own (CELERY_BROKER_URL, …) must not reach the stack.
        ours = set(self.dot_env())
        env = {
            **{k: v for k, v in os.environ.items() if k not in ours and k != "DOCKER_CONFIG"},
            "DOCKER_HOST": engine(),
        }
        if self.docker_config:
            env["DOCKER_CONFIG"] = str(self.docker_config)
            # Compose v2 builds with BuildKit, whose RUN steps need the engine's default
            # bridge; the host engine here has none (no bridge, no iptables: nothing gets a
            # route out), a school server's has. The classic builder, as v1 uses, needs none.
            env["DOCKER_BUILDKIT"] = "0"
        return env

    def dot_env(self) -> dict[str, str]:
        """The stack's `.env`, as Compose reads it (comments left out)."""
        lines = (line.split("=", 1) for line in (self.directory / ".env").read_text().splitlines())
        return {pair[0]: pair[1] for pair in lines if len(pair) == 2 and not pair[0].startswith("#")}

    def compose_version(self) -> str:
        """Which Compose scripts/compose.sh runs for this stack, and its version."""
        for command in (["docker", "compose"], ["docker-compose"]):
            try:
                done = subprocess.run(
                    [*command, "version", "--short"], env=self.env(), capture_output=True, text=True, timeout=30
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            if done.returncode == 0:
                return f"{' '.join(command)} {done.stdout.strip()}"
        return "none"

    def compose(self, *args: str, timeout: int = 1200, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(self.directory / "scripts" / "compose.sh"), *self.files, *args],
            cwd=self.directory,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"compose {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-4000:]}\n"
                + self.logs()
            )
        return done

    def compose_to(self, out, *args: str) -> None:
        """A compose command whose standard output (bytes: a dump) goes to the file `out`."""
        done = subprocess.run(
            [str(self.directory / "scripts" / "compose.sh"), *self.files, *args],
            cwd=self.directory, env=self.env(), stdout=out, stderr=subprocess.PIPE, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, f"compose {' '.join(args)}: {done.stderr.decode()[-3000:]}"

    def compose_from(self, source, *args: str) -> None:
        """A compose command reading its standard input from the file `source`."""
        done = subprocess.run(
            [str(self.directory / "scripts" / "compose.sh"), *self.files, *args],
            cwd=self.directory, env=self.env(), stdin=source, capture_output=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, f"compose {' '.join(args)}: {done.stderr.decode()[-3000:]}"

    def logs(self) -> str:
        done = subprocess.run(
            [str(self.directory / "scripts" / "compose.sh"), *self.files, "logs", "--no-color", "--tail", "40"],
            cwd=self.directory,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return f"--- compose logs ---\n{done.stdout[-8000:]}"

    def timed(self, name: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        started = time.monotonic()
        done = self.compose(*args, **kwargs)
        self.timings[name] = round(time.monotonic() - started, 1)
        return done

    def docker(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], env=self.env(), capture_output=True, text=True, check=check)

    def containers(self, service: str) -> list[str]:
        """The ids of the service's containers, running or not (`run` ones left out)."""
        done = self.docker(
            "ps", "-aq",
            "--filter", f"label=com.docker.compose.project={self.project}",
            "--filter", f"label=com.docker.compose.service={service}",
            "--filter", "label=com.docker.compose.oneoff=False",
        )  # fmt: skip
        return done.stdout.split()

    def container(self, service: str) -> str:
        """The id of the service's container (running or not; the first if several)."""
        ids = self.containers(service)
        assert ids, f"no container for the service {service} of {self.project}"
        return ids[0]

    def inspect(self, container: str, template: str) -> str:
        """`docker inspect --format template` of a container."""
        return self.docker("inspect", "--format", template, container, check=True).stdout.strip()

    def container_logs(self, container: str, *options: str) -> str:
        """A container's log, its standard output and error together (Celery writes to the latter)."""
        done = self.docker("logs", *options, container)
        return done.stdout + done.stderr

    def node(self, service: str = "worker") -> str:
        """The Celery node name of a grading worker (`grading@%h`: its container's host name)."""
        return f"grading@{self.inspect(self.container(service), '{{.Config.Hostname}}')}"

    def rows(self, table: str) -> dict[int, dict]:
        """A table's rows as JSON objects, by id."""
        found = (json.loads(line[0]) for line in self.sql(f"select row_to_json(t) from {table} t"))
        return {row["id"]: row for row in found}

    def sql(self, query: str) -> list[list[str]]:
        """Rows of a query run by psql in the postgres service's container (docker exec:
        quicker than compose when polled)."""
        done = self.docker(
            "exec", self.container("postgres"),
            "psql", "-U", "estaleiro", "-d", "estaleiro", "-At", "-F", "\t", "-c", query,
        )  # fmt: skip
        assert done.returncode == 0, f"psql: {done.stderr[-2000:]}"
        return [line.split("\t") for line in done.stdout.splitlines()]

    def wait_until_served(self, within: float = 300.0) -> None:
        deadline = time.monotonic() + within
        last = ""
        while time.monotonic() < deadline:
            try:
                answer = requests.get(f"{self.url}/contas/login/", timeout=5)
                if answer.status_code == 200:
                    return
                last = f"HTTP {answer.status_code}"
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(1)
        raise AssertionError(
            f"the web service did not answer on {self.url} within {within:.0f} s ({last})\n" + self.logs()
        )


def export_release(commit: str, directory: Path) -> None:
    """The project's files as they were at `commit` (`git archive`), into `directory`."""
    known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True)
    if known.returncode != 0:
        pytest.fail(f"the release {commit} is not in this clone's history (a shallow clone?): git fetch --unshallow")
    directory.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive.stdout, check=True)


def pull(stack: Stack) -> None:
    """`git pull` to this working tree: every file of the copy replaced by the project's own
    (deleted ones gone), `.env` kept."""
    for entry in stack.directory.iterdir():
        if entry.name == ".env":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    shutil.copytree(ROOT, stack.directory, ignore=IGNORED, symlinks=True, dirs_exist_ok=True)


def make_copy(directory: Path, port: int, extra: dict[str, str] | None = None, release: str | None = None) -> Stack:
    """The project as a school's IT would have it: the repository's files (this working tree,
    or the commit `release`) and a `.env`."""
    if release:
        export_release(release, directory)
    else:
        shutil.copytree(ROOT, directory, ignore=IGNORED, symlinks=True)
    origin = f"http://127.0.0.1:{port}"
    values = {
        "COMPOSE_PROJECT_NAME": PROJECT,
        # Privileged containers do not start on machines like these (DESIGN.md).
        "COMPOSE_FILE": "docker-compose.yml:deploy/sandbox-unprivileged.yml",
        "ESTALEIRO_IMAGE": "estaleiro:live-test",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_hex(24),
        "REDIS_PASSWORD": secrets.token_hex(24),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": origin,
        "LTI_TOOL_URL": origin,
        "SECURE_COOKIES": "false",
        "TRUSTED_PROXY_COUNT": "0",
        "WEB_BIND": "127.0.0.1",
        "WEB_PORT": str(port),
        "WEB_WORKERS": "2",
        "WEB_THREADS": "4",
        "CELERY_CONCURRENCY": "1",
        # No loop devices in the unprivileged sandbox container: the data-root goes on the
        # volume with no size cap (deploy/sandbox-unprivileged.yml).
        "SANDBOX_DISK_SIZE": "0",
        "SANDBOX_MEMORY": "3g",
        "SANDBOX_CPUS": "2",
        **(extra or {}),
    }
    (directory / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return Stack(directory=directory, port=port)


def forget_data(stack: Stack) -> None:
    """Containers of an earlier run down, its database and Redis volumes gone."""
    stack.compose("down", "--remove-orphans", timeout=600)
    for volume in DATA_VOLUMES:
        stack.docker("volume", "rm", "-f", f"{PROJECT}_{volume}")


def prefill_cache(stack: Stack, service: str = "migrate") -> None:
    """estaleiro-cache filled from this host's prepare_sandbox cache: migrate's (or a grading
    host's) prepare_sandbox then makes the labs' bases in the nested daemon with no network."""
    stack.timed(
        "cache prefill",
        "run", "--rm", "--no-deps", "-u", "10001:10001", "-v", f"{BASE_CACHE}:/from:ro",
        service, "sh", "-c", PREFILL,
    )  # fmt: skip


def require_engine() -> None:
    """The host engine answers; otherwise skipped, or failed under CI."""
    if not engine_answers(engine()):
        message = f"no host Docker engine at {engine()}: scripts/host-docker.sh start (scripts/test.sh does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def compose_v2_config() -> Path | None:
    """The DOCKER_CONFIG of compose_v2.py; None (or a failure under CI) where PyPI cannot
    give it."""
    try:
        return compose_v2.config_dir()
    except compose_v2.ComposeV2Unavailable as exc:
        if IN_CI:
            pytest.fail(f"Compose v2 for the live stack: {exc}")
        print(f"\nCompose v2 unavailable, the machine's Compose runs the stack: {exc}")
        return None


@contextmanager
def running_stack(
    directory: Path, extra: dict[str, str] | None = None, release: str | None = None, v2: bool = False
) -> Iterator[Stack]:
    """The stack up from empty data in a fresh copy at `directory` (the stand-in images
    made first where needed), serving on its published port; `down` (volumes kept) after.
    `extra`: more lines for its `.env`; `release`: the commit to start (this working tree
    if none); `v2`: run by Compose v2 (compose_v2.py) rather than the machine's Compose."""
    started = time.monotonic()
    images = ensure_stack_images(engine(), say=print)
    live = make_copy(directory, free_port(), extra, release)
    if v2:
        live.docker_config = compose_v2_config()
    live.timings |= {k: round(v, 1) for k, v in images.timings.items()}
    live.timings["images"] = round(time.monotonic() - started, 1)
    forget_data(live)
    live.timed("build", "build")
    prefill_cache(live)
    live.timed("up", "up", "-d", "--build")
    live.wait_until_served()
    live.timings["first start, total"] = round(time.monotonic() - started, 1)
    try:
        yield live
    finally:
        live.timed("down", "down", "--remove-orphans", check=False, timeout=600)
        print(
            "\nlive stack:",
            json.dumps({"compose": live.compose_version(), "sources": images.sources, "seconds": live.timings}),
        )


def demo_accounts(stack: Stack) -> dict[str, tuple[str, str]]:
    """Role -> (user name, password), as `manage.py demo_accounts` printed them the first time
    it ran on this stack. Compose makes no demo accounts (docs/OPERATIONS.md); the command
    writes its record of their passwords into the throwaway container's var/, so a second run
    knows nothing of them (and says their passwords changed): it runs once per stack."""
    if stack.accounts:
        return stack.accounts
    done = stack.compose("run", "--rm", "--no-deps", "migrate", "python", "manage.py", "demo_accounts")
    accounts = {}
    for line in done.stdout.splitlines():
        found = re.match(r"\s*(teacher|teaching assistant|learner)\s+user: (\S+)\s+password: (\S+)", line)
        if found:
            accounts[found[1]] = (found[2], found[3])
    assert {"teacher", "learner"} <= set(accounts), done.stdout
    stack.accounts = accounts
    return accounts


# ---------------------------------------------------------------------------- the user's side

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class User:
    """A browser without JavaScript: a cookie jar, forms posted with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, path: str, **kwargs) -> requests.Response:
        try:
            answer = self.http.get(self.base + path, timeout=30, **kwargs)
        except requests.ConnectionError:
            # gunicorn closes an idle kept-alive connection after 2 s; a browser sends an
            # idempotent request that met such a close again, on a new connection.
            answer = self.http.get(self.base + path, timeout=30, **kwargs)
        assert answer.status_code < 400, f"GET {path}: HTTP {answer.status_code}\n{answer.text[-2000:]}"
        return answer

    def post(self, path: str, data: dict, *, form_page: str | None = None, **kwargs) -> requests.Response:
        page = self.get(form_page or path).text
        token = CSRF.search(page)
        assert token, f"no CSRF token on {form_page or path}"
        answer = self.http.post(
            self.base + path,
            data={"csrfmiddlewaretoken": token[1], **data},
            headers={"Referer": self.base + (form_page or path)},
            timeout=60,
            **kwargs,
        )
        assert answer.status_code < 400, f"POST {path}: HTTP {answer.status_code}\n{answer.text[-2000:]}"
        return answer

    def log_in(self, username: str, password: str) -> requests.Response:
        answer = self.post("/contas/login/", {"username": username, "password": password})
        assert "/contas/login/" not in answer.url, f"{username} was not logged in:\n{answer.text[-1500:]}"
        return answer


# ---------------------------------------------------------------------------- a learner's work

LAB = "primeiro-conteiner"
REFERENCE = ROOT / "content" / "labs" / LAB / "reference"
RADIO = re.compile(r'<input type="radio" name="q(\d+)" value="(\d+)"')
FINAL = {"passed", "failed", "rejected", "error"}
IN_PROGRESS = {"building", "running", "checking"}
# A worker's log line for a grading's end: "Task labs.grade_submission[…] succeeded in …s: 'passed'".
OUTCOME = re.compile(r"Task labs\.grade_submission\[[\w-]+\] succeeded in [\d.]+s: '([\w-]+)'")
VERDICT = re.compile(r'<p class="verdict verdict-(\w+)">\s*<strong>([^<]+)</strong>')


def answer_a_question(learner: User) -> dict[str, str]:
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


def answer_is_checked(learner: User, answer: dict[str, str]) -> bool:
    page = learner.get(answer["path"]).text
    return f'name="q{answer["question"]}" value="{answer["choice"]}" checked' in page


def send_lab(learner: User, dockerfile: str | None = None) -> str:
    """A Dockerfile (the lab's reference if none) sent from the lab's page, with the
    reference's .dockerignore; the submission's path."""
    lab = re.search(rf'href="(/turmas/\d+/laboratorios/{LAB}/)"', learner.get("/").text)
    assert lab, f"no {LAB} lab offered on the learner's home page"
    files = {
        "dockerfile": (None, dockerfile if dockerfile is not None else (REFERENCE / "Dockerfile").read_text()),
        "dockerignore": (None, (REFERENCE / ".dockerignore").read_text()),
    }
    sent = learner.post(lab[1] + "enviar/", {}, form_page=lab[1], files=files)
    found = re.search(r"/laboratorios/entregas/(\d+)/", sent.url)
    assert found, f"the submission was not stored: {sent.url}\n{sent.text[-1500:]}"
    return f"/laboratorios/entregas/{found[1]}/"


def slow_reference(step: str) -> str:
    """The lab's reference Dockerfile with one `RUN step` of its own after WORKDIR: a grading
    that lasts long enough to be caught in progress (a unique step: no build cache hit)."""
    text = (REFERENCE / "Dockerfile").read_text()
    return text.replace("WORKDIR /app\n", f"WORKDIR /app\nRUN {step}\n", 1)


def submissions(stack: Stack, ids: list[int]) -> dict[int, tuple[str, str, int]]:
    """Submissions by id: (status, worker_host, retries)."""
    listed = ",".join(map(str, ids))
    rows = stack.sql(f"select id, status, worker_host, retries from labs_submission where id in ({listed}) order by id")
    return {int(r[0]): (r[1], r[2], int(r[3])) for r in rows}


def submission_id(path: str) -> int:
    return int(path.rstrip("/").rsplit("/", 1)[1])


def verdict_on_page(learner: User, path: str) -> tuple[str, str] | None:
    """(status, score) as the submission's page shows them; None before the verdict."""
    found = VERDICT.search(learner.get(path).text)
    return (found[1], found[2].strip()) if found else None


def wait_for_verdict(stack: Stack, learner: User, path: str, within: float = 600.0) -> dict[str, str]:
    started = time.monotonic()
    while time.monotonic() < started + within:
        verdict = verdict_on_page(learner, path)
        if verdict:
            stack.timings.setdefault("grading", round(time.monotonic() - started, 1))
            return {"path": path, "status": verdict[0], "score": verdict[1]}
        time.sleep(2)
    pytest.fail(f"no verdict within {within:.0f} s on {path}\n{learner.get(path).text[-2000:]}\n{stack.logs()}")
