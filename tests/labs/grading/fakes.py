"""A fake sandbox at the engine's boundary, for unit tests of the runner."""

from dataclasses import dataclass, field

from labs.grading.ports import SandboxFault
from labs.grading.types import BuildOutcome, ExecOutcome, HttpOutcome, ImageFacts


@dataclass
class FakeContainer:
    http_answers: dict = field(default_factory=dict)  # (method, port, path) -> HttpOutcome
    running: bool = True
    files: dict = field(default_factory=dict)
    exec_results: dict = field(default_factory=dict)  # tuple(argv) -> ExecOutcome
    container_logs: str = ""
    removed: bool = False
    requests: list = field(default_factory=list)

    def exec(self, argv, *, timeout):
        return self.exec_results.get(tuple(argv), ExecOutcome(exit_code=0, output=""))

    def http(self, *, method, port, path, body, headers, timeout):
        self.requests.append((method, port, path, body, headers))
        return self.http_answers.get(
            (method, port, path), HttpOutcome(status=None, body="", error="connection refused")
        )

    def read_file(self, path, *, max_bytes):
        return self.files.get(path)

    def is_running(self):
        return self.running

    def logs(self, *, max_bytes):
        return self.container_logs[-max_bytes:]

    def remove(self):
        self.removed = True


@dataclass
class FakeSandbox:
    build_outcome: BuildOutcome = field(
        default_factory=lambda: BuildOutcome(ok=True, image_id="sha256:abc", log="Step 1/1 : FROM python:3.11-slim\n")
    )
    facts: ImageFacts = field(
        default_factory=lambda: ImageFacts(
            id="sha256:abc",
            size_bytes=300_000_000,
            user="appuser",
            workdir="/app",
            exposed_ports=["5000/tcp"],
            cmd=["gunicorn", "--bind", "0.0.0.0:5000", "app:app"],
            entrypoint=None,
            env={},
            labels={},
            healthcheck=None,
            base_size_bytes=200_000_000,
        )
    )
    container: FakeContainer = field(default_factory=FakeContainer)
    fault_on_build: bool = False
    builds: list = field(default_factory=list)
    removed_images: list = field(default_factory=list)
    starter_size: int = 500_000_000
    discarded: list = field(default_factory=list)
    begun: list = field(default_factory=list)
    ended: int = 0

    def begin(self, *, limits, labels, bases):
        self.begun.append((limits, dict(labels), list(bases)))

    def end(self):
        self.ended += 1

    def build(self, *, files, tag, limits, labels, on_log=None):
        self.builds.append((tag, dict(files), labels))
        if self.fault_on_build:
            raise SandboxFault("daemon unreachable")
        if on_log:
            on_log(self.build_outcome.log)
        return self.build_outcome

    def image_facts(self, image, *, base=None):
        if "starter" in image:
            return ImageFacts(
                id="sha256:starter",
                size_bytes=self.starter_size,
                user="",
                workdir="",
                exposed_ports=[],
                cmd=None,
                entrypoint=None,
                env={},
                labels={},
                healthcheck=None,
            )
        return self.facts

    def start(self, *, image, limits, labels):
        self.started_labels = dict(labels)
        return self.container

    def remove_image(self, image):
        self.removed_images.append(image)

    def discard_build(self, outcome):
        self.discarded.append(outcome)
        return len(outcome.created_images)

    def close(self):
        pass
