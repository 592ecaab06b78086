"""An offline base for building the project's own Dockerfile where nothing can be fetched.

A build on the sandbox daemon (tests/deploy/test_image_build.py) or on the host engine of
the live-stack test (tests/deploy/stack_images.py) has no network: no Debian mirror, no
PyPI. The base is made the way `prepare_sandbox` makes the labs' bases: the root Debian
stand-in for python:3.11-slim (`estaleiro/root:<key>`), plus the project's wheels in
`/opt/wheelhouse` (PIP_NO_INDEX, PIP_FIND_LINKS) and a local apt repository holding the
Debian packages the Dockerfile's `apt-get install` lines name. Those packages are fetched
on this host once; the base is kept in the daemon, keyed by its inputs, so later runs only
build.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from docker.errors import APIError, ImageNotFound, NotFound

from labs.sandbox.base_images import STANDIN_LABEL
from labs.sandbox.context import make_tar
from labs.sandbox.pip_target import pip_download_command
from labs.sandbox.rootfs import apt_mirror

from .project import ROOT

BASE = "python:3.11-slim"
ROOT_REPO = "estaleiro/root"  # labs/sandbox/base_images.py: the image under the wheelhouse layer
OFFLINE_REPO = "estaleiro-selftest/base"
OFFLINE_LABEL = "estaleiro.selftest.base.key"
OFFLINE_RECIPE = 2  # bump when offline_base_context() changes
SELFTEST_LABEL = "estaleiro.selftest"
# What the Dockerfile's RUN lines apt-get install (build stage, final stage).
APT_PACKAGES = ["gettext", "busybox-static"]
# The platforms base_images.py downloads the labs' wheels for.
PLATFORMS = ["manylinux2014_{m}", "manylinux_2_28_{m}", "manylinux_2_17_{m}", "linux_{m}"]

BUILD_LIMITS = {"memory": 2 * 1024**3, "memswap": 2 * 1024**3}
READ_TIMEOUT = 900  # seconds without a byte of build log before the stream is given up


def stream_build(api, *, context: bytes, tag: str, network_mode: str = "none") -> dict:
    """Build with the low-level API, reading the log as it streams (never buffered whole)."""
    steps = cached = 0
    tail: list[str] = []
    errors: list[str] = []
    started = time.monotonic()
    for chunk in api.build(
        fileobj=io.BytesIO(context),
        custom_context=True,
        tag=tag,
        decode=True,
        rm=True,
        forcerm=True,
        pull=False,
        network_mode=network_mode,
        use_config_proxy=False,
        container_limits=BUILD_LIMITS,
        timeout=READ_TIMEOUT,
    ):
        if "error" in chunk:
            errors.append(chunk["error"])
        text = chunk.get("stream") or ""
        if text.startswith("Step "):
            steps += 1
        if "Using cache" in text:
            cached += 1
        if text.strip():
            tail = (tail + [text.rstrip()])[-60:]
    seconds = time.monotonic() - started
    if errors:
        pytest.fail(f"building {tag} failed: {' '.join(errors)[:2000]}\n--- log tail ---\n" + "\n".join(tail))
    return {"seconds": seconds, "steps": steps, "cached": cached}


def root_standin(api, tag: str = BASE) -> dict | None:
    """The root stand-in under a python:3.11-slim wheelhouse layer (`tag`): the first
    ancestor tagged estaleiro/root:<key> (base_images._root_image), found by walking parents."""
    try:
        image = api.inspect_image(tag)
    except ImageNotFound:
        return None
    for _ in range(64):
        if any(tag.startswith(f"{ROOT_REPO}:") for tag in image.get("RepoTags") or []):
            return image
        if not image.get("Parent"):
            return None
        image = api.inspect_image(image["Parent"])
    return None


def run_in(api, image: str, command: list[str]) -> str:
    """stdout of a command in a throwaway container of `image`, with no network."""
    container = api.create_container(image, command, network_disabled=True, labels={SELFTEST_LABEL: "probe"})
    try:
        api.start(container)
        assert api.wait(container, timeout=60)["StatusCode"] == 0, api.logs(container).decode()[-1000:]
        return api.logs(container, stderr=False).decode()
    finally:
        api.remove_container(container, force=True)


def download_wheels(requirements: Path, dest: Path, *, python_version: str) -> None:
    """The wheels of requirements.txt for the stand-in's Python, its markers evaluated for that
    version whatever this host's python3 is (redis needs async-timeout below 3.11.3 only):
    from `make run`'s own wheelhouse when it holds them all, else from PyPI."""
    machine = os.uname().machine
    command = pip_download_command(python_version, dest=str(dest), platforms=[p.format(m=machine) for p in PLATFORMS])
    command += ["-r", str(requirements)]
    cache = Path(os.environ.get("ESTALEIRO_CACHE_DIR", "/var/cache/estaleiro")) / "wheelhouse"
    for local in sorted(cache.glob("*/.complete")):
        if (
            subprocess.run(command + ["--no-index", "--find-links", str(local.parent)], capture_output=True).returncode
            == 0
        ):
            return
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"pip download -r requirements.txt: {done.stderr[-3000:]}"


def os_codename(os_release: str) -> str:
    for line in os_release.splitlines():
        name, _, value = line.partition("=")
        if name == "VERSION_CODENAME":
            return value.strip().strip('"')
    return ""


def apt_options_for(suite: str, workdir: Path) -> list[str]:
    """apt options under which apt-cache and apt-get see `suite` of the mirror this host's apt
    uses. None when the host runs that suite itself; otherwise (a Debian 13 host, a bookworm
    stand-in) a package list of its own, fetched once into `workdir`, so the packages fit the
    stand-in's libraries rather than the host's."""
    if os_codename(Path("/etc/os-release").read_text()) == suite:
        return []
    state = workdir / f"apt-{suite}"
    sources = state / "sources.list"
    keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
    signed = f"[signed-by={keyring}] " if keyring.exists() else ""
    # An empty dpkg status too: the host's newer installed versions would otherwise be the
    # candidates, and those are not in the stand-in's suite.
    options = [
        "-o",
        f"Dir::Etc::SourceList={sources}",
        "-o",
        "Dir::Etc::SourceParts=/nonexistent",
        "-o",
        f"Dir::State::Lists={state / 'lists'}",
        "-o",
        f"Dir::State::status={state / 'status'}",
        "-o",
        f"Dir::Cache={state / 'cache'}",
        "-o",
        "Acquire::Languages=none",
    ]
    if not (state / "updated").exists():
        (state / "lists" / "partial").mkdir(parents=True, exist_ok=True)
        (state / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        (state / "status").touch()
        sources.write_text(f"deb {signed}{apt_mirror()} {suite} main\n")
        done = subprocess.run(["apt-get", *options, "update", "-q"], capture_output=True, text=True)
        assert done.returncode == 0, f"apt-get update for {suite}: {done.stderr[-2000:]}"
        (state / "updated").touch()
    return options


def download_debs(api, root_id: str, dest: Path) -> None:
    """The APT_PACKAGES and whatever they depend on that the stand-in lacks, from the stand-in's
    own Debian release, as a flat apt repository (Packages index from dpkg-scanpackages)."""
    for tool in ("apt-cache", "apt-get", "dpkg-scanpackages"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is needed to make the offline base (Debian: apt, dpkg-dev)")
    installed = set(run_in(api, root_id, ["dpkg-query", "-W", "-f=${Package}\\n"]).split())
    apt = apt_options_for(os_codename(run_in(api, root_id, ["cat", "/etc/os-release"])), dest.parent)
    closure = subprocess.run(
        [
            "apt-cache",
            *apt,
            "depends",
            "--recurse",
            "--no-recommends",
            "--no-suggests",
            "--no-conflicts",
            "--no-breaks",
            "--no-replaces",
            "--no-enhances",
            *APT_PACKAGES,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Top-level lines are packages; "<name>" ones are virtual (a real provider is listed too).
    needed = sorted(
        {line.strip() for line in closure.splitlines() if line and not line[0].isspace() and not line.startswith("<")}
        - installed
    )
    done = subprocess.run(["apt-get", *apt, "download", "-q", *needed], cwd=dest, capture_output=True, text=True)
    assert done.returncode == 0, f"apt-get download {needed}: {done.stderr[-2000:]}"
    index = subprocess.run(["dpkg-scanpackages", "--multiversion", "."], cwd=dest, capture_output=True, check=True)
    (dest / "Packages").write_bytes(index.stdout)


def offline_base_context(root_ref: str, key: str, wheels: Path, debs: Path) -> bytes:
    dockerfile = (
        f"FROM {root_ref}\n"
        "COPY wheelhouse/ /opt/wheelhouse/\n"
        "COPY debs/ /opt/debs/\n"
        # apt's only source is the local repository, so `apt-get update` works with no network.
        "RUN echo 'deb [trusted=yes] file:/opt/debs ./' > /etc/apt/sources.list \\\n"
        "    && rm -f /etc/apt/sources.list.d/*\n"
        "ENV PIP_NO_INDEX=1 PIP_FIND_LINKS=/opt/wheelhouse PIP_DISABLE_PIP_VERSION_CHECK=1\n"
        f'LABEL {OFFLINE_LABEL}="{key}" {STANDIN_LABEL}="true" estaleiro.standin.for="{BASE}"\n'
    )
    files = {"Dockerfile": dockerfile.encode()}
    files |= {f"wheelhouse/{p.name}": p.read_bytes() for p in sorted(wheels.glob("*.whl"))}
    files |= {f"debs/{p.name}": p.read_bytes() for p in sorted(debs.iterdir()) if p.is_file()}
    return make_tar(files)


def forget_other_bases(api, *, keep: str) -> int:
    """Remove older offline bases (other requirements, another root) with the build cache
    that hangs from them: every image built on a base inherits its key label. Children
    first, retrying what still had children until nothing more goes."""
    pending = [
        i["Id"]
        for i in api.images(all=True, filters={"label": OFFLINE_LABEL})
        if (i.get("Labels") or {}).get(OFFLINE_LABEL) != keep
    ]
    removed = 0
    while pending:
        kept = []
        for image in pending:
            try:
                # Pruning here: the untagged steps under an old base are nobody's cache.
                api.remove_image(image, force=True, noprune=False)
            except NotFound:
                pass
            except APIError:
                kept.append(image)
        removed += len(pending) - len(kept)
        if len(kept) == len(pending):
            break
        pending = kept
    return removed


def ensure_offline_base(api, timings: dict[str, float], *, under: str = BASE) -> str:
    """The offline base over the root stand-in found under the tag `under`, built when its
    inputs changed; returns its reference (estaleiro-selftest/base:<key>)."""
    root = root_standin(api, under)
    if root is None:
        pytest.skip(f"no {ROOT_REPO}:<key> stand-in under {under}: run manage.py prepare_sandbox")
    root_ref = next(t for t in root["RepoTags"] if t.startswith(f"{ROOT_REPO}:"))
    requirements = ROOT / "requirements.txt"
    key = hashlib.sha256(
        json.dumps([OFFLINE_RECIPE, root["Id"], APT_PACKAGES, requirements.read_text()]).encode()
    ).hexdigest()[:16]
    ref = f"{OFFLINE_REPO}:{key}"
    try:
        if (api.inspect_image(ref)["Config"].get("Labels") or {}).get(OFFLINE_LABEL) == key:
            timings["offline base (cached)"] = 0.0
            return ref
    except ImageNotFound:
        pass
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="estaleiro-selftest-") as tmp:
        wheels, debs = Path(tmp) / "wheels", Path(tmp) / "debs"
        wheels.mkdir()
        debs.mkdir()
        python_version = run_in(
            api, root["Id"], ["python3", "-c", "import platform; print(platform.python_version())"]
        ).strip()
        download_wheels(requirements, wheels, python_version=python_version)
        download_debs(api, root["Id"], debs)
        timings["offline base: downloads"] = time.monotonic() - started
        context = offline_base_context(root_ref, key, wheels, debs)
    timings["offline base: build"] = stream_build(api, context=context, tag=ref)["seconds"]
    # Resolved offline, as the Dockerfile's pip will: a base that cannot is not kept.
    pins = [line.strip() for line in requirements.read_text().splitlines() if line.strip() and not line.startswith("#")]
    try:
        run_in(api, ref, ["python3", "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q", *pins])
    except AssertionError as exc:
        api.remove_image(ref, force=True)
        pytest.fail(f"the offline base cannot install requirements.txt: {exc}")
    forget_other_bases(api, keep=key)
    return ref
