"""The project's own Dockerfile, really built in the sandbox daemon, then graded and run.

test_dockerfile.py grades the files statically. Here the image is built from exactly what
`docker build .` would send (the `.dockerignore` applied), its metadata is read by the
grading engine (`DockerSandbox.image_facts`), its files are listed, and it is run hardened
as docker-compose.yml's web service runs it, until its own HEALTHCHECK passes and the login
page and a whitenoise static file answer.

No registry and no network. The sandbox daemon runs with `--userns-remap`, and such a
daemon refuses `network_mode="host"` ("cannot share the host's network namespace when user
namespaces are enabled"); with `--bridge none` it has no other network, so the build
cannot reach Debian's mirror or PyPI. The build runs with `network_mode="none"` instead, on
an *offline* base made the way `prepare_sandbox` makes the labs' bases: the root Debian
stand-in for python:3.11-slim (`estaleiro/root:<key>`, under the wheelhouse layer tagged
python:3.11-slim), plus the project's wheels in `/opt/wheelhouse` (PIP_NO_INDEX,
PIP_FIND_LINKS, as that tag sets) and a local apt repository holding the Debian packages
the Dockerfile's `apt-get install` lines name. Those packages are fetched on this host once;
the base is kept in the daemon, keyed by its inputs, so later runs only build.
"""

import io
import json
import re
import secrets
import tarfile
import time

import pytest
from django.conf import settings
from docker.errors import NotFound

from labs.sandbox.context import make_tar
from labs.sandbox.docker_sandbox import DockerSandbox

from .offline_base import BASE, SELFTEST_LABEL, ensure_offline_base, stream_build
from .project import DOCKERFILE, sent_files

pytestmark = pytest.mark.docker

HEALTHY_WITHIN = 60.0

TIMINGS: dict[str, float] = {}

# Run inside the container: GET a path on the server, print status, type and body as JSON.
FETCH = r"""
import json, sys, urllib.error, urllib.request
request = urllib.request.Request("http://127.0.0.1:8000" + sys.argv[1], headers={"Host": "localhost"})
try:
    answer = urllib.request.urlopen(request, timeout=10)
except urllib.error.HTTPError as error:
    answer = error
body = answer.read()
print(json.dumps({"status": answer.status, "type": answer.headers.get("Content-Type", ""),
                  "length": len(body), "text": body.decode("utf-8", "replace")}))
"""


# -------------------------------------------------------------------------------- building


@pytest.fixture(scope="module")
def offline_base(sandbox_docker) -> str:
    return ensure_offline_base(sandbox_docker.api, TIMINGS)


def on_base(dockerfile: str, base: str) -> str:
    """The Dockerfile with both FROM lines on `base`: a copy for this test only, the file
    in the repository is untouched. Every other line stays as it is."""
    rewritten, count = re.subn(rf"^FROM {re.escape(BASE)}(?=\s)", f"FROM {base}", dockerfile, flags=re.M)
    assert count == 2, f"expected two `FROM {BASE}` lines (build and final stage), found {count}"
    return rewritten


@pytest.fixture(scope="module")
def built(sandbox_docker, offline_base):
    """The image, built from what `docker build .` sends (the Dockerfile's FROM rewritten)."""
    files = sent_files()
    files["Dockerfile"] = on_base(DOCKERFILE.read_text(), offline_base).encode()
    tag = f"estaleiro-selftest:{secrets.token_hex(6)}"
    outcome = stream_build(sandbox_docker.api, context=make_tar(files), tag=tag)
    TIMINGS["image build"] = outcome["seconds"]
    TIMINGS["image build: steps"], TIMINGS["image build: cached steps"] = outcome["steps"], outcome["cached"]
    try:
        yield {"tag": tag, "files": files}
    finally:
        try:
            # noprune: the untagged parents are the legacy builder's cache for the next run.
            sandbox_docker.api.remove_image(tag, force=True, noprune=True)
        except NotFound:
            pass
        print("\nimage build timings:", json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}))


@pytest.fixture(scope="module")
def engine():
    sandbox = DockerSandbox(settings.SANDBOX_DOCKER_HOST)
    yield sandbox
    sandbox.close()


# -------------------------------------------------------------------------------- checks


def test_the_grading_engine_reads_a_non_root_gunicorn_image_with_a_healthcheck(built, engine):
    facts = engine.image_facts(built["tag"])
    assert facts.user == "10001:10001"
    assert "8000/tcp" in facts.exposed_ports
    # JSON form: gunicorn is the process itself, not an argument of /bin/sh -c.
    assert not facts.entrypoint and isinstance(facts.cmd, list) and facts.cmd[0] == "gunicorn", facts.cmd
    assert facts.healthcheck and facts.healthcheck[0] in ("CMD", "CMD-SHELL"), facts.healthcheck
    assert facts.workdir == "/app" and facts.env.get("DJANGO_SETTINGS_MODULE") == "config.settings"
    assert not any("SECRET" in name for name in facts.env), "a secret in the image's ENV"


def test_the_image_holds_the_context_and_nothing_private(built, sandbox_docker):
    """/app as the image has it (read from a created, never started container)."""
    container = sandbox_docker.api.create_container(
        built["tag"], network_disabled=True, labels={SELFTEST_LABEL: "files"}
    )
    try:
        stream, _ = sandbox_docker.api.get_archive(container, "/app")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            paths = {m.name.removeprefix("app/") for m in tar.getmembers() if m.isfile()}
    finally:
        sandbox_docker.api.remove_container(container, force=True)
    for path in paths:
        parts = path.split("/")
        assert parts[0] not in {"tests", ".git", ".venv", "docs", "scripts", "sandbox"}, path
        assert "__pycache__" not in parts and not path.endswith(".pyc"), path
        assert not parts[-1].startswith(".env"), path
    assert "var/secret_key" not in paths
    assert "var/static/staticfiles.json" in paths, "no collected static files for whitenoise"
    assert "locale/pt_BR/LC_MESSAGES/django.mo" in paths, "compilemessages made no .mo"
    # Beyond what the build makes, the code is exactly the context (Docker drops the
    # Dockerfile and .dockerignore, which the .dockerignore lists).
    made = {p for p in paths if p.startswith("var/") or p.endswith(".mo")}
    sent = set(built["files"]) - {"Dockerfile", ".dockerignore"}
    assert paths - made == sent, f"missing: {sorted(sent - paths)[:10]}, extra: {sorted(paths - made - sent)[:10]}"


def test_it_runs_hardened_passes_its_healthcheck_and_serves_pages(built, engine, sandbox_docker):
    client = sandbox_docker
    started = time.monotonic()
    # docker-compose.yml's web service: read-only root, tmpfs /tmp, no capabilities, no
    # privilege escalation; secrets from the environment; here no network at all.
    container = client.containers.create(
        built["tag"],
        name=f"estaleiro-selftest-{secrets.token_hex(6)}",
        read_only=True,
        tmpfs={"/tmp": ""},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges:true"],
        network_mode="none",
        mem_limit="1g",
        memswap_limit="1g",
        pids_limit=256,
        environment={
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost",
            "DATABASE_URL": "sqlite:////tmp/db.sqlite3",
            "XDG_RUNTIME_DIR": "/tmp",
        },
        labels={SELFTEST_LABEL: "web"},
    )
    try:
        container.start()
        test = engine.image_facts(built["tag"]).healthcheck
        check = test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", test[1]]
        deadline = time.monotonic() + HEALTHY_WITHIN
        while True:
            container.reload()
            if container.status != "running":
                pytest.fail(f"the container stopped ({container.status}):\n{container.logs(tail=80).decode()}")
            result = container.exec_run(check)
            if result.exit_code == 0:
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the image's HEALTHCHECK did not pass within {HEALTHY_WITHIN:.0f} s: "
                    f"{result.output.decode()[-500:]}\n{container.logs(tail=80).decode()}"
                )
            time.sleep(0.5)
        TIMINGS["start to healthy"] = time.monotonic() - started

        def get(path: str) -> dict:
            result = container.exec_run(["python", "-c", FETCH, path], demux=True)
            out, err = result.output
            assert result.exit_code == 0, (err or b"").decode()[-2000:]
            return json.loads(out)

        login = get("/contas/login/")
        assert login["status"] == 200, login["text"][-2000:]
        page = login["text"]
        assert '<html lang="pt-br">' in page
        assert "<h1>Entrar</h1>" in page and "Containerização com Docker" in page, "no pt-BR text: .mo missing?"
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]
        # Hashed by the manifest storage that collectstatic ran at build time.
        assert re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", stylesheet), stylesheet
        css = get(stylesheet)
        assert css["status"] == 200 and css["type"].startswith("text/css") and css["length"] > 0, css["status"]
        assert get("/static/css/missing.css")["status"] == 404
        # Nothing was written outside the tmpfs: the root is read-only to the server.
        assert container.exec_run(["python", "-c", "open('/app/var/x', 'w')"]).exit_code != 0
    finally:
        container.remove(force=True, v=True)
