"""What the benchmarks share: a scratch database, a class of the benchmarks' own offering the
lesson's content, the product's own processes started as `make run` starts them (gunicorn, a
grading worker), a logged-in HTTP session, a memory sampler, the raw-Docker floor, and the
writer of docs/BENCHMARKS.md.

Benchmarks print ratios against a baseline measured in the same run: the machines are
shared and noisy, so only a ratio is comparable from one run to the next."""

import datetime
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "docs" / "BENCHMARKS.md"
PASSWORD = "senha-do-benchmark-123"
# The programs of the environment whose Python runs the benchmark (the project's .venv, also
# from another checkout of the code).
VENV_BIN = Path(sys.executable).parent


def _exit_on_sigterm(*_):
    raise SystemExit(143)


# A benchmark stopped with SIGTERM still stops the processes it started (the finally blocks).
signal.signal(signal.SIGTERM, _exit_on_sigterm)


def setup_django(database_url: str | None = None) -> None:
    """A fresh database of the benchmarks' own, migrated and loaded with the shipped content:
    by default a SQLite file (the product's embedded default); DATABASE_URL names another
    (an empty scratch database, see bench/class.py). Nothing of `make run`'s data is touched."""
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    if database_url is None:
        for suffix in ("", "-wal", "-shm"):
            (BENCH_VAR / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{BENCH_VAR / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = database_url
    # A class submits together: the per-learner rate limit is not what is measured here.
    os.environ["SUBMISSIONS_PER_MINUTE"] = "100000"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)


BENCH_CLASS = "Turma do benchmark"


def bench_class(name: str = BENCH_CLASS):
    """A class (created the first time) offering every published quiz and active lab with the
    settings their files give a new class: what a learner reaches is always a class's."""
    from classes.models import Class
    from classes.services import class_create, offering_add
    from labs.models import Lab
    from quizzes.models import Quiz

    klass = Class.objects.filter(name=name).first() or class_create(name=name, term="bench", creator=None)
    for quiz in Quiz.objects.filter(is_published=True):
        offering_add(klass=klass, quiz=quiz)
    for lab in Lab.objects.filter(is_active=True):
        offering_add(klass=klass, lab=lab)
    return klass


def offering(slug: str, klass=None):
    """The bench class's offering of the quiz or lab with this slug."""
    from django.db.models import Q

    from classes.models import Offering

    klass = klass or bench_class()
    return Offering.objects.get(Q(quiz__slug=slug) | Q(lab__slug=slug), klass=klass)


def make_learner(username: str, klass=None):
    """A learner of the bench class (or of `klass`) who signs in with PASSWORD."""
    from django.contrib.auth.models import User

    from classes.models import Role
    from classes.services import membership_add

    user, _ = User.objects.get_or_create(username=username)
    user.set_password(PASSWORD)
    user.save()
    membership_add(klass=klass or bench_class(), user=user, role=Role.LEARNER)
    return user


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, seconds: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise RuntimeError(f"timed out after {seconds} s waiting for {what}")


class Process:
    """A child process of the product, its output in var/bench/<name>.log."""

    def __init__(self, name: str, argv: list[str], env: dict | None = None):
        self.name = name
        self.log_path = BENCH_VAR / f"{name}.log"
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            stdout=open(self.log_path, "w"),
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_grading_worker(concurrency: int | None = None) -> Process:
    """The grading worker exactly as `make run` starts it (one process per core by default)."""
    from django.conf import settings

    from labs.worker import alive_workers

    name = f"bench-{os.getpid()}@%h"
    worker = Process(
        "worker",
        [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            settings.GRADING_QUEUE,
            "--hostname",
            name,
            "--concurrency",
            str(concurrency or os.cpu_count()),
            "--loglevel",
            "INFO",
        ],
    )
    expected = name.replace("%h", socket.gethostname())
    wait_until(lambda: worker.proc.poll() is not None or expected in (alive_workers() or set()), 90, "the worker")
    if worker.proc.poll() is not None:
        raise RuntimeError(f"the worker exited: {worker.log()[-2000:]}")
    return worker


def start_web(name: str = "web") -> tuple[Process, str]:
    """gunicorn as `make run` serves it: 2 workers × 4 threads, static files by whitenoise.
    Its output goes to var/bench/NAME.log."""
    import requests

    port = free_port()
    web = Process(
        name,
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            os.environ.get("WEB_WORKERS", "2"),
            "--threads",
            "4",
        ],
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(f"{base}/contas/login/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(lambda: web.proc.poll() is not None or up(), 60, f"gunicorn (its log: {web.log_path})")
    except BaseException:
        web.stop()  # started but never answered: it must not outlive the benchmark
        raise
    if web.proc.poll() is not None:
        raise RuntimeError(f"gunicorn exited: {web.log()[-2000:]}")
    return web, base


def login(base: str, username: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/contas/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    done = session.post(
        f"{base}/contas/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/contas/login/"},
        allow_redirects=False,
    )
    if done.status_code != 302:
        raise RuntimeError(f"login of {username} failed: {done.status_code}")
    return session


def lab_url(base: str, slug: str, klass=None) -> str:
    """The lab's page in the bench class (or in `klass`)."""
    from django.urls import reverse

    return base + reverse("labs:detail", args=[(klass or bench_class()).pk, slug])


def web_submit(session, base: str, slug: str, files: dict[str, bytes], klass=None) -> tuple[int, float]:
    """Submit through the lab page's form in the bench class (or in `klass`), as a learner's
    browser does: the submission id, and the wall-clock time the submit was sent (the page
    itself was loaded before)."""
    page_url = lab_url(base, slug, klass)
    page = session.get(page_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    extra = [("files", (path, data)) for path, data in files.items() if path != "Dockerfile"]
    # A lab with parameters: the files use {{ param.NAME }}, and the learner types in the
    # values the page shows them, as a learner would.
    from labs.grading.parameters import substitute_text

    shown = dict(re.findall(r'data-parameter="([a-z0-9_]+)">([^<]*)<', page.text))
    if shown:
        files = {
            path: _with_text(data, lambda text: substitute_text(text, shown.__getitem__))
            for path, data in files.items()
        }
        extra = [("files", (path, data)) for path, data in files.items() if path != "Dockerfile"]
    sent_at = time.time()
    done = session.post(
        f"{page_url}enviar/",
        data={"csrfmiddlewaretoken": token, "dockerfile": files["Dockerfile"].decode()},
        files=extra or None,
        headers={"Referer": page_url},
        allow_redirects=False,
    )
    location = done.headers.get("Location", "")
    match = re.search(r"/entregas/(\d+)/", location)
    if done.status_code != 302 or not match:
        raise RuntimeError(f"submit to {slug} refused: {done.status_code} {location} {done.text[:300]}")
    return int(match[1]), sent_at


def wait_final(submission_ids, seconds: float = 900):
    from labs.models import Submission

    ids = list(submission_ids)
    wait_until(
        lambda: Submission.objects.filter(pk__in=ids, status__in=Submission.FINAL).count() == len(ids),
        seconds,
        f"{len(ids)} verdict(s)",
        every=0.02,
    )
    return list(Submission.objects.filter(pk__in=ids).order_by("pk"))


# -- memory ------------------------------------------------------------------------------------


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU time (user and system) used so far by a process and its living descendants
    (gunicorn and its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    return sum((int(fields[11]) + int(fields[12])) / ticks for fields in _tree_stats(root_pid))


def _tree_stats(root_pid: int) -> list[list[str]]:
    """/proc/PID/stat's fields after the command name, for a process and its descendants."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        stats[int(entry)] = fields
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        if pid in stats:
            found.append(stats[pid])
        todo.extend(children.get(pid, []))
    return found


def tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of a process and all its descendants (the worker and its pool)."""
    return sum(int(fields[21]) * os.sysconf("SC_PAGE_SIZE") for fields in _tree_stats(root_pid))


class PeakMemory:
    """Samples a process tree's resident memory in a thread; .peak in bytes."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every, self.peak, self._stop = pid, every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self._stop.wait(self.every)

    def __enter__(self):
        self.peak = tree_rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# -- the raw Docker floor -----------------------------------------------------------------------


def docker_cli() -> list[str]:
    from django.conf import settings

    if not shutil.which("docker"):
        raise RuntimeError("the docker CLI is missing (Debian: docker.io)")
    return ["docker", "--host", settings.SANDBOX_DOCKER_HOST]


def _docker(*args: str, timeout: float | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*docker_cli(), *args], capture_output=True, text=True, timeout=timeout, check=check)


def http_probes(spec) -> list[tuple[list[str], float]]:
    """The lab's HTTP checks as busybox wget command lines to run inside the container,
    each with its readiness wait."""
    import json

    from labs.grading.checks import HttpCheck

    probes = []
    for check in spec.checks:
        if isinstance(check, HttpCheck):
            # As the platform probes: Debian's busybox wget segfaults with -T, `timeout` bounds it.
            argv = ["/.probe/busybox", "timeout", "-s", "KILL", "5", "/.probe/busybox", "wget", "-q", "-O", "-"]
            if check.body is not None:
                data = check.body if isinstance(check.body, str) else json.dumps(check.body)
                argv += ["--header", "Content-Type: application/json", "--post-data", data]
            probes.append((argv + [f"http://127.0.0.1:{check.port}{check.path}"], check.ready_seconds))
    return probes


def _with_text(data: bytes, change) -> bytes:
    try:
        return change(data.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:
        return data


def floor_grade(lab, files: dict[str, bytes], tag: str) -> float:
    """The same build, run, HTTP probes and removal done directly with the docker CLI
    against the same sandbox daemon, with the lab's limits: the least any grader must do.
    Returns the wall time in seconds. A lab with parameters is built with its first values,
    the ones its spec as loaded (lab.spec) probes."""
    from labs.grading.parameters import sample_draws, substitute_text

    if lab.spec.parameterized:
        first = {name: str(value) for name, value in sample_draws(lab.spec.parameters)[0].items()}
        files = {
            path: _with_text(data, lambda text: substitute_text(text, first.__getitem__))
            for path, data in files.items()
        }
    limits = lab.spec.limits
    memory = f"{limits.memory_mb}m"
    with tempfile.TemporaryDirectory(prefix="estaleiro-floor-") as context:
        for path, data in files.items():
            target = Path(context) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        started = time.monotonic()
        if _floor_build(context, tag, limits, memory):
            container = _docker(
                "run",
                "-d",
                "--network",
                "none",
                "--memory",
                memory,
                "--memory-swap",
                memory,
                "--pids-limit",
                str(limits.pids),
                "--cap-drop",
                "ALL",
                "--read-only",
                "--tmpfs",
                "/tmp",
                "--init",
                "-v",
                "/bin/busybox:/.probe/busybox:ro",
                tag,
            ).stdout.strip()
            try:
                # As the platform does: the first check waits for the app to be ready, the
                # others are asked once.
                for index, (probe, ready_seconds) in enumerate(http_probes(lab.spec)):
                    deadline = time.monotonic() + (ready_seconds if index == 0 else 0)
                    while _docker("exec", container, *probe, check=False).returncode != 0:
                        if time.monotonic() > deadline:
                            break
                        time.sleep(0.1)
            finally:
                _docker("rm", "-f", container, check=False)
            _docker("rmi", "--no-prune", tag, check=False)
        return time.monotonic() - started


def _floor_build(context: str, tag: str, limits, memory: str) -> bool:
    """`docker build`, stopped where the platform stops one: past the lab's wall clock, its
    log cap or its disk budget (the CLI is killed, which closes the stream and makes the
    daemon cancel; a step past the disk budget is killed too, as the platform does)."""
    build = subprocess.Popen(
        [*docker_cli(), "build", "--network", "none", "--memory", memory, "--memory-swap", memory, "-t", tag, context],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    timer = threading.Timer(limits.build_seconds, build.kill)
    timer.start()
    steps: list[str] = []
    watch = _FloorDiskWatch(steps, limits.disk_mb * 1024 * 1024, build)
    seen = 0
    try:
        for chunk in iter(lambda: build.stdout.read1(65536), b""):
            seen += len(chunk)
            steps.extend(re.findall(r" ---> Running in ([0-9a-f]{12})", chunk.decode("utf-8", "replace")))
            if seen > limits.log_bytes:
                build.kill()
                break
    finally:
        timer.cancel()
        watch.stop()
        build.stdout.close()
    ok = build.wait() == 0
    for step in steps:  # a step killed mid-way may be left behind by the daemon
        _docker("rm", "-f", step, check=False)
    return ok


class _FloorDiskWatch:
    """The raw CLI has no disk budget: look at the running step's writable layer as the
    platform does, and stop there, so both stop a disk filler at the same place."""

    def __init__(self, steps: list[str], limit: int, build: subprocess.Popen):
        self.steps, self.limit, self.build = steps, limit, build
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            if not self.steps:
                continue
            step = self.steps[-1]
            done = _docker("inspect", "--size", "--format", "{{.SizeRw}}", step, check=False)
            if done.returncode == 0 and done.stdout.strip().isdigit() and int(done.stdout.strip()) > self.limit:
                _docker("kill", step, check=False)
                self.build.kill()
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# -- numbers and the results page ----------------------------------------------------------------


def median(values) -> float:
    return statistics.median(values)


def percentile(values, pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]


def machine() -> str:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = next(
        (int(line.split()[1]) // 1024 // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0
    )
    engine = ""
    try:
        engine = _docker("version", "--format", "{{.Server.Version}}", timeout=20).stdout.strip()
    except Exception:  # noqa: BLE001 — the page says what it could find
        engine = "?"
    return (
        f"{os.cpu_count()} cores ({model or platform.processor() or '?'}), {memory} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, Docker engine {engine}"
    )


def write_results(name: str, title: str, body: str) -> None:
    """Put this benchmark's section into docs/BENCHMARKS.md, replacing its previous figures."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"<!-- bench:{name} -->\n## {title}\n\n_Measured {stamp} on {machine()}._  \n"
        f"_Command: `make bench-{name}`._\n\n{body.strip()}\n<!-- /bench:{name} -->"
    )
    text = (
        RESULTS.read_text()
        if RESULTS.exists()
        else (
            "# Benchmarks\n\nEach section is rewritten by its benchmark (`make bench-<name>`, or `make bench` for "
            "all). Figures are ratios against a baseline measured in the same run, because the machines are "
            "shared and noisy; absolute times are given for context only.\n"
        )
    )
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else f"{text.rstrip()}\n\n{section}\n"
    RESULTS.write_text(text)
    print(f"\n{section}\n\n(written to {RESULTS.relative_to(ROOT)})")


@contextmanager
def stopping(*processes: Process):
    try:
        yield
    finally:
        for process in processes:
            process.stop()
