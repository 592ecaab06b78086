"""docker-compose.yml (and deploy/grading-host.yml): valid for the Compose tool, and shaped
as docs/OPERATIONS.md says.

No container registry and no Docker engine for the host are available where the tests run,
so the stack is never started here: the file is validated by `docker-compose config` and
its security properties are read from the parsed YAML.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from labs.content import lab_dirs, load_lab

from . import compose_v2
from .project import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    GRADING_HOST_FILE,
    IN_CI,
    ROOT,
    SANDBOX_ENTRYPOINT,
    compose,
    grading_host,
    service,
)

APP_SERVICES = ("web", "worker", "beat", "migrate")
LONG_RUNNING = ("web", "worker", "beat", "redis", "postgres", "sandbox")
ONE_SHOT = ("migrate", "sandbox-probe")
SANDBOX_CLIENTS = {"worker", "migrate"}


# -- helpers ----------------------------------------------------------------------------------


def volume_mounts(svc: dict) -> list[tuple[str, str, bool]]:
    """(source, target, read_only) for each volume, short or long syntax."""
    mounts = []
    for entry in svc.get("volumes", []):
        if isinstance(entry, str):
            parts = entry.split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
            mounts.append((source, target, len(parts) > 2 and "ro" in parts[2].split(",")))
        else:
            mounts.append((entry.get("source", ""), entry["target"], bool(entry.get("read_only"))))
    return mounts


def mount_at(name: str, target: str) -> tuple[str, str, bool]:
    found = [m for m in volume_mounts(service(name)) if m[1] == target]
    assert found, f"{name} mounts nothing at {target}"
    return found[0]


def networks_of(name: str) -> set[str]:
    networks = service(name).get("networks", ["default"])
    return set(networks if isinstance(networks, list) else networks.keys())


def flat(value) -> str:
    """Everything a service says, as one string, to search for ports and paths."""
    if isinstance(value, dict):
        return " ".join(f"{k} {flat(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " ".join(flat(v) for v in value)
    return str(value)


def command_of(name: str) -> list[str]:
    command = service(name)["command"]
    return command if isinstance(command, list) else command.split()


# -- (a) the Compose tool accepts the file ----------------------------------------------------


# A Compose command line and the variables it needs besides a clean environment.
Tool = tuple[list[str], dict[str, str]]
TOOLS = ["machine", "v2"]


def compose_tool(which: str = "machine") -> Tool:
    """The machine's `docker-compose` (Debian 12's v1; v2 on Debian 13), or Compose v2 as a
    Docker CLI plugin (compose_v2.py)."""
    if which == "v2":
        try:
            return ["docker", "compose"], {"DOCKER_CONFIG": str(compose_v2.config_dir())}
        except compose_v2.ComposeV2Unavailable as exc:
            if IN_CI:
                pytest.fail(f"CI=true: the Compose file must be validated by Compose v2 too, but {exc}")
            pytest.skip(str(exc))
    path = shutil.which("docker-compose")
    if path is None:
        message = "docker-compose is not installed (Debian: apt-get install docker-compose)"
        if IN_CI:
            pytest.fail(f"CI=true: the Compose file must be validated, but {message}")
        pytest.skip(message)
    return [path], {}


def run_config(tool: Tool, project_dir, env_text: str, *compose_args: str) -> subprocess.CompletedProcess:
    """`docker-compose config -q` on a copy of the project's deployment files, with env_text as .env.

    A copy, so that the project's own .env (which `make run` reads) is never touched; and a
    clean environment, so that variables of the shell running the tests cannot fill in
    what .env leaves empty.
    """
    shutil.copy(COMPOSE_FILE, project_dir / "docker-compose.yml")
    shutil.copytree(ROOT / "deploy", project_dir / "deploy", dirs_exist_ok=True)
    shutil.copy(ROOT / "Dockerfile", project_dir / "Dockerfile")
    (project_dir / ".env").write_text(env_text)
    command, extra = tool
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(project_dir), **extra}
    args = compose_args or ("-f", "docker-compose.yml")
    return subprocess.run(
        [*command, *args, "config", "-q"], cwd=project_dir, env=env, capture_output=True, text=True, timeout=120
    )


def filled_env_example() -> str:
    """env.example with the secrets it leaves blank filled in, as an operator would."""
    text = ENV_EXAMPLE.read_text()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        text = re.sub(rf"^{name}=$", f"{name}=test-only-{name.lower().replace('_', '-')}", text, flags=re.M)
    return text


GRADING_HOST_URLS = (
    "DATABASE_URL=postgres://estaleiro:pw@10.0.0.5:5432/estaleiro\n"
    "CELERY_BROKER_URL=redis://:pw@10.0.0.5:6379/0\n"
    "CELERY_RESULT_BACKEND=redis://:pw@10.0.0.5:6379/1\n"
)
GRADING_HOST_ARGS = ("-f", "deploy/grading-host.yml", "--project-directory", ".")


@pytest.mark.parametrize("which", TOOLS)
def test_compose_validates_with_the_env_example_filled_in(tmp_path, which):
    done = run_config(compose_tool(which), tmp_path, filled_env_example())
    assert done.returncode == 0, f"docker-compose config failed:\n{done.stderr}"


@pytest.mark.parametrize("which", TOOLS)
def test_compose_refuses_to_run_while_the_secrets_are_blank(tmp_path, which):
    done = run_config(compose_tool(which), tmp_path, ENV_EXAMPLE.read_text())
    assert done.returncode != 0, "docker-compose accepted an .env without its secrets"
    assert "in .env" in done.stderr, done.stderr


@pytest.mark.parametrize("which", TOOLS)
def test_the_grading_host_file_validates_once_it_knows_the_main_host(tmp_path, which):
    tool = compose_tool(which)
    done = run_config(tool, tmp_path, filled_env_example(), *GRADING_HOST_ARGS)
    assert done.returncode != 0 and "DATABASE_URL" in done.stderr, "grading host accepted no DATABASE_URL"
    done = run_config(tool, tmp_path, filled_env_example() + GRADING_HOST_URLS, *GRADING_HOST_ARGS)
    assert done.returncode == 0, f"docker-compose config failed for deploy/grading-host.yml:\n{done.stderr}"


@pytest.mark.parametrize("which", TOOLS)
def test_the_grading_host_file_on_the_main_hosts_engine_validates(tmp_path, which):
    """deploy/grading-host-same-engine.yml: the worker on the main stack's network, named in .env."""
    tool = compose_tool(which)
    args = ("-f", "deploy/grading-host.yml", "-f", "deploy/grading-host-same-engine.yml", "--project-directory", ".")
    env = filled_env_example() + GRADING_HOST_URLS
    done = run_config(tool, tmp_path, env, *args)
    assert done.returncode != 0 and "MAIN_STACK_NETWORK" in done.stderr, "accepted no MAIN_STACK_NETWORK"
    done = run_config(tool, tmp_path, env + "MAIN_STACK_NETWORK=estaleiro_default\n", *args)
    assert done.returncode == 0, f"docker-compose config failed:\n{done.stderr}"


# -- (b) properties of the parsed file ----------------------------------------------------------


@pytest.mark.parametrize("path", [COMPOSE_FILE, GRADING_HOST_FILE], ids=lambda p: p.name)
def test_the_docker_socket_is_mounted_nowhere(path):
    assert "docker.sock" not in path.read_text()
    for name, svc in (compose() if path == COMPOSE_FILE else grading_host())["services"].items():
        for source, target, _ in volume_mounts(svc):
            assert "docker.sock" not in source and "docker.sock" not in target, f"{name} mounts {source}:{target}"
            assert not source.startswith(("/var/run", "/run")), f"{name} mounts the host's {source}"
        assert "DOCKER_HOST" not in svc.get("environment", {}), f"{name} sets DOCKER_HOST"


def test_the_sandbox_is_privileged_dind_with_tls_only():
    sandbox = service("sandbox")
    image, _, tag = sandbox["image"].partition(":")
    assert image == "docker" and tag.endswith("-dind") and tag[0].isdigit(), f"unpinned dind image {sandbox['image']}"
    assert sandbox["privileged"] is True
    assert sandbox["environment"]["DOCKER_TLS_CERTDIR"] == "/certs"
    assert "DNS:sandbox" in sandbox["environment"]["DOCKER_TLS_SAN"] or sandbox["hostname"] == "sandbox"
    everything = flat(sandbox)
    assert "2375" not in everything, "the sandbox mentions the plain-text port 2375"
    assert "ports" not in sandbox and "expose" not in sandbox
    health = sandbox["healthcheck"]["test"]
    assert "tcp://sandbox:2376" in health and "--tlsverify" in health, health


def test_the_sandbox_runs_with_the_design_flags():
    command = command_of("sandbox")
    for flag in ("--userns-remap=default", "--bridge=none", "--iptables=false", "--ip-masq=false"):
        assert flag in command, f"sandbox daemon started without {flag}"
    assert not any(c.startswith(("--host", "-H")) for c in command), "hosts come from dind's TLS set-up only"


def test_the_sandbox_keeps_its_data_and_certificates_on_named_volumes():
    volumes = compose()["volumes"]
    for target in ("/var/lib/docker", "/certs/ca", "/certs/client"):
        source, _, read_only = mount_at("sandbox", target)
        assert source in volumes, f"sandbox {target} is not a named volume ({source})"
        assert not read_only
    assert service("sandbox")["mem_limit"] and service("sandbox")["pids_limit"] and service("sandbox")["cpus"]


def test_the_ca_key_stays_in_the_sandbox():
    ca_volume = mount_at("sandbox", "/certs/ca")[0]
    for name, svc in compose()["services"].items():
        if name != "sandbox":
            assert ca_volume not in [m[0] for m in volume_mounts(svc)], f"{name} mounts the CA's key"


@pytest.mark.parametrize("name", sorted(SANDBOX_CLIENTS))
def test_sandbox_clients_use_tls_with_read_only_client_certificates(name):
    env = service(name)["environment"]
    assert env["SANDBOX_DOCKER_HOST"] == "tcp://sandbox:2376"
    assert env["DOCKER_TLS_VERIFY"] == "1"
    assert env["DOCKER_CERT_PATH"] == "/certs/client"
    source, _, read_only = mount_at(name, "/certs/client")
    assert read_only, f"{name} mounts the client certificates writable"
    assert source == mount_at("sandbox", "/certs/client")[0], "not the certificates the sandbox made"


def test_only_the_worker_and_migrate_can_reach_the_sandbox():
    sandbox_networks = networks_of("sandbox")
    assert "default" not in sandbox_networks
    # And the sandbox's networks lead nowhere: the daemon fetches nothing for a build.
    for network in sandbox_networks:
        assert compose()["networks"][network].get("internal") is True, f"network {network} has a route out"
    for name in compose()["services"]:
        if name == "sandbox":
            continue
        shares = networks_of(name) & sandbox_networks if "network_mode" not in service(name) else set()
        assert bool(shares) is (name in SANDBOX_CLIENTS), f"{name} shares {shares or 'no'} network with the sandbox"
        if name not in SANDBOX_CLIENTS:
            assert "/certs/client" not in [m[1] for m in volume_mounts(service(name))], (
                f"{name} holds sandbox certificates"
            )


def test_web_worker_beat_and_the_one_shots_run_the_same_image():
    reference = service("web")
    assert reference["build"]["context"] == "." and reference["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
    for name in (*APP_SERVICES, "sandbox-probe"):
        assert service(name)["image"] == reference["image"], name
        assert service(name)["build"] == reference["build"], name


def test_postgres_and_redis_keep_their_data_on_named_volumes():
    volumes = compose()["volumes"]
    assert mount_at("postgres", "/var/lib/postgresql/data")[0] in volumes
    assert mount_at("redis", "/data")[0] in volumes
    redis = command_of("redis")
    assert redis[redis.index("--appendonly") + 1] == "yes"
    assert redis[redis.index("--requirepass") + 1].startswith("${REDIS_PASSWORD")
    assert service("redis")["image"] == "redis:7-alpine"
    assert service("postgres")["image"] == "postgres:16-alpine"
    assert "pg_isready" in service("postgres")["healthcheck"]["test"]


def test_only_web_publishes_a_port():
    for name, svc in compose()["services"].items():
        if name == "web":
            assert len(svc["ports"]) == 1 and str(svc["ports"][0]).endswith(":8000"), svc["ports"]
        else:
            assert "ports" not in svc, f"{name} publishes {svc['ports']}"
            assert svc.get("network_mode") in (None, "none"), f"{name} uses network_mode {svc['network_mode']}"


def test_migrations_run_once_before_the_application():
    command = " ".join(command_of("migrate"))
    for step in ("manage.py migrate", "manage.py load_content", "manage.py prepare_sandbox"):
        assert step in command, f"migrate does not run {step}"
    assert command.index("migrate --noinput") < command.index("load_content") < command.index("prepare_sandbox")
    for name in ("web", "worker", "beat"):
        assert service(name)["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    assert service("worker")["depends_on"]["sandbox"]["condition"] == "service_healthy"
    assert service("sandbox")["depends_on"]["sandbox-probe"]["condition"] == "service_completed_successfully"


def test_worker_and_beat_commands():
    worker = command_of("worker")
    assert (
        worker[:4] == ["celery", "-A", "config", "worker"] and worker[worker.index("-Q") + 1] == settings.GRADING_QUEUE
    )
    beat = command_of("beat")
    # Beat, with a worker of the default queue only: web-side tasks never wait behind builds.
    assert beat[:4] == ["celery", "-A", "config", "worker"] and "--beat" in beat
    assert beat[beat.index("-Q") + 1] == settings.CELERY_TASK_DEFAULT_QUEUE != settings.GRADING_QUEUE
    assert "gunicorn" in command_of("web")


def test_restart_policies():
    for name in LONG_RUNNING:
        assert service(name)["restart"] in ("unless-stopped", "always"), name
    for name in ONE_SHOT:
        assert service(name)["restart"] == "no", name


def test_secrets_come_from_dot_env_only():
    secret_name = re.compile(r"PASSWORD|SECRET|TOKEN|AUTH|DATABASE_URL|BROKER_URL|RESULT_BACKEND")
    for name, svc in compose()["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if secret_name.search(key):
                assert "${" in str(value), f"{name}: {key} is written in the Compose file"
    for name in APP_SERVICES:
        assert service(name)["env_file"] in (".env", [".env"]), name
    assert "env_file" not in service("sandbox"), "the sandbox needs none of the application's secrets"


def test_the_application_runs_without_privileges():
    for name in (*APP_SERVICES, "sandbox-probe"):
        svc = service(name)
        assert "privileged" not in svc, name
        assert svc["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in svc["security_opt"], name
    for name in ("web", "worker", "beat"):
        assert service(name)["read_only"] is True and "/tmp" in service(name)["tmpfs"], name


def test_the_static_busybox_reaches_the_sandbox():
    probe = service("sandbox-probe")
    source, target, _ = mount_at("sandbox-probe", "/probe")
    assert probe["command"][-2:] == ["/bin/busybox", "/probe/busybox"]
    assert mount_at("sandbox", "/estaleiro/probe") == (source, "/estaleiro/probe", True)
    script = SANDBOX_ENTRYPOINT.read_text()
    assert "/estaleiro/probe/busybox" in script
    assert service("sandbox")["entrypoint"] == ["/bin/sh", "/estaleiro/sandbox-entrypoint.sh"]
    assert mount_at("sandbox", "/estaleiro/sandbox-entrypoint.sh")[0] == "./deploy/sandbox-entrypoint.sh"
    assert "busybox-static" in (ROOT / "Dockerfile").read_text()


@pytest.mark.parametrize("name", ["web", "worker", "beat", "migrate"])
def test_the_application_runs_under_an_init_that_passes_signals_on(name):
    """PID 1 ignores a signal it has no handler for, and Celery and gunicorn install theirs
    only seconds into their start: stopped then, they would wait out stop_grace_period."""
    assert service(name).get("init") is True, f"{name} runs as PID 1 without an init"


def test_the_grading_host_runs_the_same_sandbox_and_worker():
    other = grading_host()["services"]
    assert set(other) == {"worker", "sandbox", "sandbox-probe"}, "a grading host runs no web, beat, database or broker"
    for name in ("sandbox", "sandbox-probe"):
        assert other[name] == service(name), f"deploy/grading-host.yml's {name} differs from docker-compose.yml's"
    worker, main = other["worker"], service("worker")
    for key in (
        "image",
        "build",
        "command",
        "cap_drop",
        "security_opt",
        "init",
        "read_only",
        "tmpfs",
        "healthcheck",
        "networks",
        "mem_limit",
        "memswap_limit",
        "pids_limit",
        "cpus",
    ):
        assert worker[key] == main[key], f"grading host worker: {key} differs"
    for key in ("SANDBOX_DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        assert worker["environment"][key] == main["environment"][key], key
    assert ("sandbox-certs-client", "/certs/client", True) in volume_mounts(worker)
    for svc in other.values():
        assert "ports" not in svc


def test_env_example_lists_every_variable():
    example = ENV_EXAMPLE.read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    compose_text = COMPOSE_FILE.read_text() + GRADING_HOST_FILE.read_text()
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", compose_text))  # $${X} is escaped
    assert not interpolated - listed, f"used in docker-compose.yml, missing from env.example: {interpolated - listed}"
    settings_text = (ROOT / "config" / "settings.py").read_text()
    read_by_settings = set(re.findall(r"""os\.environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""", settings_text))
    read_by_settings |= set(re.findall(r"""env_(?:bool|list)\(\s*["']([A-Z][A-Z0-9_]+)["']""", settings_text))
    assert not read_by_settings - listed, (
        f"read by config/settings.py, missing from env.example: {read_by_settings - listed}"
    )


# -- (c) resource limits (docs/OPERATIONS.md, "Resource limits") -----------------------------

CPU_BOUNDED = {"sandbox", "worker"}
UNITS = {"k": 2**10, "m": 2**20, "g": 2**30}


def default_of(value) -> str:
    """A literal as it is, an interpolated `${NAME:-default}` as its default."""
    match = re.fullmatch(r"\$\{[A-Z][A-Z0-9_]*:-([^}]+)\}", str(value))
    return match[1] if match else str(value)


def byte_count(value) -> int:
    text = default_of(value).lower().removesuffix("b")
    return int(float(text[:-1]) * UNITS[text[-1]]) if text[-1] in UNITS else int(text)


def every_service() -> list:
    return [
        pytest.param(name, svc, id=f"{path.name}:{name}")
        for path, parsed in ((COMPOSE_FILE, compose()), (GRADING_HOST_FILE, grading_host()))
        for name, svc in parsed["services"].items()
    ]


@pytest.mark.parametrize(("name", "svc"), every_service())
def test_every_service_has_a_memory_limit_without_swap_and_a_pids_limit(name, svc):
    limit, swap = svc.get("mem_limit"), svc.get("memswap_limit")
    assert limit and swap == limit, f"{name}: mem_limit={limit!r} memswap_limit={swap!r} (no swap: equal)"
    assert 32 * 2**20 <= byte_count(limit) <= 16 * 2**30, f"{name}: mem_limit {limit!r}"
    # A literal int: docker-compose v1 passes an interpolated pids_limit on as a string, which
    # `config` accepts and `up` refuses (see the test of what v1 sends the engine, below).
    assert type(svc.get("pids_limit")) is int and svc["pids_limit"] > 0, f"{name}: pids_limit {svc.get('pids_limit')!r}"
    if name in CPU_BOUNDED:
        assert 0 < float(default_of(svc.get("cpus", 0))) <= 64, f"{name}: cpus {svc.get('cpus')!r}"


def test_the_limits_leave_room_for_what_runs_inside():
    """The defaults against the figures docs/OPERATIONS.md sizes them from."""
    assert 512 * 2**20 <= byte_count(service("web")["mem_limit"]) <= 4 * 2**30  # ~100 MiB per gunicorn process
    # PostgreSQL makes a process per connection: its default max_connections is 100.
    assert service("postgres")["pids_limit"] > 100 + 20
    concurrency = int(default_of(command_of("worker")[command_of("worker").index("--concurrency") + 1]))
    # The sandbox holds every grading at once, each within its lab's pids (docs/OPERATIONS.md).
    largest_pids = max(load_lab(lab_dir).spec.limits.pids for lab_dir in lab_dirs(ROOT / "content"))
    assert service("sandbox")["pids_limit"] >= concurrency * (largest_pids + 8) + 256
    # The worker's memory: twice bench-burst's peak at concurrency 2 (380 MiB, main process and pool).
    assert byte_count(service("worker")["mem_limit"]) >= 2 * 380 * 2**20 * concurrency / 2


# What docker-compose v1 sends the engine for each service's limits, computed by v1's own
# config loader and by the docker-py client it ships with, as `up` does; no engine needed.
V1_HOST_CONFIG = """
import json, sys
from compose.cli.command import get_config_from_options
from compose.service import NANOCPUS_SCALE
from docker import APIClient
config = get_config_from_options(".", {"--file": sys.argv[1:] or None, "--project-directory": "."})
client = APIClient(base_url="unix:///nonexistent/docker.sock", version="1.41")
out = {}
for svc in config.services:
    cpus = svc.get("cpus")
    host = client.create_host_config(
        mem_limit=svc.get("mem_limit"), memswap_limit=svc.get("memswap_limit"), pids_limit=svc.get("pids_limit"),
        nano_cpus=int(cpus * NANOCPUS_SCALE) if cpus is not None else None)
    out[svc["name"]] = {key: host.get(key) for key in ("Memory", "MemorySwap", "PidsLimit", "NanoCpus")}
print(json.dumps(out))
"""


def v1_host_configs(tool: Tool, project_dir, env_text: str, *compose_args: str) -> dict:
    run_config(tool, project_dir, env_text, *compose_args)  # copies the files and writes .env
    interpreter = Path(tool[0][0]).read_text().splitlines()[0].removeprefix("#!").strip()
    files = list(compose_args[1:2]) if compose_args else []
    done = subprocess.run(
        [interpreter, "-c", V1_HOST_CONFIG, *files],
        cwd=project_dir,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(project_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"docker-compose v1 could not turn the limits into a container's:\n{done.stderr}"
    return json.loads(done.stdout)


def v1_tool() -> Tool:
    tool = compose_tool()
    version = subprocess.run([*tool[0], "version", "--short"], capture_output=True, text=True, timeout=60).stdout
    if not version.startswith("1."):
        pytest.skip(f"docker-compose is {version.strip()}, not v1")
    return tool


@pytest.mark.parametrize("which", ["main", "grading-host"])
def test_docker_compose_v1_gives_the_engine_every_limit(tmp_path, which):
    """`docker-compose config` accepts an interpolated pids_limit that `up` then refuses; this
    checks what `up` would send: memory = memory + swap, a pids cap, CPUs for the sandbox and
    the worker, with .env raising the variables an operator may raise."""
    tool = v1_tool()
    raised = "WEB_MEMORY=1536m\nWORKER_MEMORY=2g\nWORKER_CPUS=1.5\nSANDBOX_MEMORY=8g\nREDIS_MEMORY=768m\n"
    env = filled_env_example() + raised
    args = GRADING_HOST_ARGS if which == "grading-host" else ()
    done = run_config(tool, tmp_path, env + (GRADING_HOST_URLS if args else ""), *args)
    assert done.returncode == 0, f"docker-compose config failed:\n{done.stderr}"
    hosts = v1_host_configs(tool, tmp_path, env + (GRADING_HOST_URLS if args else ""), *args)
    parsed = grading_host() if args else compose()
    assert set(hosts) == set(parsed["services"])
    for name, host in hosts.items():
        assert host["Memory"] and host["MemorySwap"] == host["Memory"], (name, host)
        assert host["PidsLimit"] == parsed["services"][name]["pids_limit"], (name, host)
        assert bool(host["NanoCpus"]) is (name in CPU_BOUNDED), (name, host)
    assert hosts["worker"] == {
        "Memory": 2 * 2**30,
        "MemorySwap": 2 * 2**30,
        "PidsLimit": 512,
        "NanoCpus": 1_500_000_000,
    }
    assert hosts["sandbox"]["Memory"] == 8 * 2**30
    if not args:
        assert hosts["web"]["Memory"] == 1536 * 2**20 and hosts["redis"]["Memory"] == 768 * 2**20


def test_a_grading_hosts_sandbox_network_leads_nowhere_either():
    host = grading_host()
    for network in host["services"]["sandbox"].get("networks", ["default"]):
        assert host["networks"][network].get("internal") is True, f"network {network} has a route out"
