"""The stand-in base images behave like the official `python` images.

Learners write Dockerfiles against the official python:3.11-slim and python:3.11
(docker-library/python, 3.11 slim-bookworm and bookworm). With no registry, the sandbox has
stand-ins under those names (labs/sandbox/base_images.py); a correct Dockerfile that fails
on a stand-in is a false verdict. Two halves:

- PROPERTIES: what a Dockerfile can rely on in the official images, each row with where it
  comes from, asserted inside each stand-in. One probe container per image collects the
  facts (fidelity_probe.py); every row is its own test.
- CORPUS (official_patterns/<lab>/<case>/): Dockerfiles in the shapes tutorials for the
  official images use (venv copy, --user copy, --prefix copy, site-packages copy,
  /usr/local/bin paths, python -m pip, wheels from the full image), each graded through
  the real pipeline against its lab: it must pass, with every check that looks at the
  image (build, run, HTTP, files, commands, size) passed.

ESTALEIRO_STANDIN_PREFIX=estaleiro-dev/ runs both against images made with
`prepare_sandbox --tag-prefix estaleiro-dev/` (a recipe on trial): the labs are then
copied with their allowlists and FROM lines pointing at those tags.

test_official_images_agree runs the same probe and corpus against the official images
themselves wherever the sandbox daemon can pull them, and compares. It is marked
`registry`, not `docker`: a registry is outside the machine, and a machine without one
(these, and many classrooms) is a normal set-up rather than a broken service, so its skip
is not turned into a failure in CI. It still fails in CI if the daemon itself is missing.
"""

import io
import json
import os
import re
import shutil
import tarfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from docker.errors import ImageNotFound

from labs.content import find_lab, load_lab, read_tree
from labs.grading.parameters import sample_draws
from labs.grading_service import grade_files

PREFIX = os.environ.get("ESTALEIRO_STANDIN_PREFIX", "")
IMAGES = {"slim": "python:3.11-slim", "full": "python:3.11"}
PROBE = Path(__file__).with_name("fidelity_probe.py")
CORPUS = Path(__file__).with_name("official_patterns")
PROBE_LABEL = "estaleiro.test"
SP = "/usr/local/lib/python3.11/site-packages"
# Checks about the image itself; the lesson's style rules (lint) are another matter.
IMAGE_CHECK_KINDS = {"build", "http", "command", "file", "metadata", "image_size"}
DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Prop:
    """One property of the official images: `fact` read from the probe's output (or the
    image config), `expect` a value or a predicate, per variant when a dict keyed by slim/full."""

    id: str
    fact: str
    expect: Any
    source: str


def _pick(facts: dict, dotted: str):
    """`a/b` walks into nested dicts; keys themselves may contain dots."""
    value = facts
    for part in dotted.split("/"):
        value = value[part]
    return value


def _pip_at_least(major: int) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        match = re.match(r"pip (\d+)\.", text or "")
        return bool(match) and int(match.group(1)) >= major

    return check


_ALL_PATHS = lambda d: isinstance(d, dict) and d.get("code") == 0 and all(d["paths"].values())  # noqa: E731

PROPERTIES = [
    # Where things are: the interpreter built into /usr/local (Dockerfile: ./configure, make install, the symlinks).
    *[
        Prop(f"command {n}", f"which.{n}", f"/usr/local/bin/{n}", "make install + the Dockerfile's symlink loop")
        for n in [
            "python",
            "python3",
            "python3.11",
            "pip",
            "pip3",
            "pip3.11",
            "python3-config",
            "python-config",
            "pydoc",
            "pydoc3",
            "idle",
            "idle3",
        ]
    ],
    Prop("python -> python3", "link.python", "python3", "Dockerfile: ln -s python3 python"),
    Prop("python3 -> python3.11", "link.python3", "python3.11", "CPython make install (bininstall)"),
    Prop("pip -> pip3", "link.pip", "pip3", "Dockerfile: ln -s pip3 pip"),
    Prop("python-config -> python3-config", "link.python-config", "python3-config", "Dockerfile: ln -s"),
    Prop("CPython 3.11", "python.version", lambda v: v.startswith("3.11."), "ENV PYTHON_VERSION 3.11.x"),
    Prop("CPython implementation", "python.implementation", "CPython", "upstream source"),
    Prop("PYTHON_VERSION names the interpreter", "env/PYTHON_VERSION", "@python.version", "ENV PYTHON_VERSION"),
    Prop("sys.executable", "sys.executable", "/usr/local/bin/python3", "--prefix=/usr/local (configure's default)"),
    Prop("sys.prefix, base_prefix, exec_prefix", "sys.prefix", ["/usr/local"] * 4, "--prefix=/usr/local"),
    Prop(
        "sys.path",
        "sys.path",
        ["/usr/local/lib/python311.zip", "/usr/local/lib/python3.11", "/usr/local/lib/python3.11/lib-dynload", SP],
        "upstream site.py, no dist-packages",
    ),
    Prop("site-packages", "site.getsitepackages", [SP], "upstream site.py"),
    Prop(
        "user site",
        "site.user",
        ["/root/.local", "/root/.local/lib/python3.11/site-packages", True],
        "upstream site.py, HOME=/root",
    ),
    Prop("sysconfig scheme", "sysconfig.scheme", "posix_prefix", "upstream sysconfig (Debian's is posix_local)"),
    *[
        Prop(f"sysconfig {k}", f"sysconfig.paths/{k}", v, "upstream sysconfig posix_prefix")
        for k, v in {
            "purelib": SP,
            "platlib": SP,
            "scripts": "/usr/local/bin",
            "include": "/usr/local/include/python3.11",
            "stdlib": "/usr/local/lib/python3.11",
            "data": "/usr/local",
        }.items()
    ],
    Prop("shared libpython", "sysconfig.vars/LDLIBRARY", "libpython3.11.so", "configure --enable-shared"),
    Prop("Py_ENABLE_SHARED", "sysconfig.vars/Py_ENABLE_SHARED", 1, "configure --enable-shared"),
    Prop(
        "extension suffix",
        "sysconfig.vars/EXT_SUFFIX",
        lambda s: bool(re.fullmatch(r"\.cpython-311-\w+-linux-gnu\.so", s or "")),
        "upstream",
    ),
    Prop(
        "configure flags",
        "sysconfig.config_args",
        lambda a: all(f in a for f in ["--enable-shared", "--enable-loadable-sqlite-extensions"]),
        "Dockerfile ./configure",
    ),
    Prop(
        "no EXTERNALLY-MANAGED",
        "stdlib.externally_managed",
        False,
        "upstream CPython ships none; pip installs system-wide",
    ),
    Prop("no bytecode shipped", "stdlib.pyc", 0, "Dockerfile: find /usr/local -name '*.pyc' -delete"),
    Prop("no test package", "stdlib.test_package", False, "Dockerfile: find /usr/local -name test -delete"),
    Prop("no static libpython", "libpython.static", [], "Dockerfile: find /usr/local -name 'libpython*.a' -delete"),
    Prop(
        "libpython in the linker cache",
        "ldconfig.libpython",
        lambda lines: any("/usr/local/lib/libpython3.11.so.1.0" in x for x in lines),
        "Dockerfile: ldconfig",
    ),
    Prop("Python.h installed", "headers", {"/usr/local/include/python3.11/Python.h": True}, "make install"),
    Prop(
        "Debian's python3 only where a package needs it",
        "debian.python3",
        {"slim": False, "full": True},
        "slim: none; full: buildpack-deps' mercurial depends on python3",
    ),
    Prop(
        "Debian bookworm",
        "os",
        {"ID": "debian", "VERSION_CODENAME": "bookworm"},
        "FROM debian:bookworm-slim / buildpack-deps:bookworm",
    ),
    # The environment (ENV lines and CMD).
    Prop("PATH", "env/PATH", f"/usr/local/bin:{DEBIAN_PATH}", "ENV PATH /usr/local/bin:$PATH"),
    Prop("LANG", "env/LANG", "C.UTF-8", "ENV LANG C.UTF-8"),
    Prop("UTF-8 everywhere", "encoding", ["utf-8", "UTF-8", "utf-8"], "ENV LANG C.UTF-8"),
    Prop("default CMD", "config/Cmd", ["python3"], 'CMD ["python3"]'),
    Prop("no ENTRYPOINT", "config/Entrypoint", None, "none in the Dockerfile"),
    Prop("no WORKDIR", "config/WorkingDir", "", "none in the Dockerfile"),
    Prop("runs as root", "config/User", "", "no USER in the Dockerfile"),
    # What was built in (the build dependencies of the Dockerfile; tkinter's libraries only in the full image).
    Prop(
        "standard modules with C parts",
        "modules.missing",
        [],
        "build deps: libssl, libsqlite3, libffi, liblzma, libbz2, zlib, libreadline, libgdbm, uuid, libncursesw",
    ),
    Prop(
        "tkinter",
        "modules.tkinter",
        {"slim": False, "full": True},
        "slim: libtk left out (ldd skips *tkinter*); full: tk-dev",
    ),
    Prop("sqlite extensions loadable", "sqlite3.load_extension", True, "--enable-loadable-sqlite-extensions"),
    Prop("OpenSSL 3.0 of bookworm", "ssl.openssl", lambda v: v.startswith("OpenSSL 3.0."), "libssl3 of bookworm"),
    Prop("CA certificates", "ssl.ca_certificates", lambda n: n > 50, "ca-certificates"),
    *[
        Prop(
            f"tool {t}",
            f"tool.{t}",
            {"slim": False, "full": True},
            "full: buildpack-deps:bookworm; slim: build deps purged",
        )
        for t in ["gcc", "g++", "make", "git", "curl", "wget", "hg", "svn", "ssh"]
    ],
    # python3-config, for C extensions and embedding.
    Prop("python3-config --prefix", "python3-config/--prefix", "/usr/local", "make install"),
    Prop("python3-config --exec-prefix", "python3-config/--exec-prefix", "/usr/local", "make install"),
    Prop(
        "python3-config --includes",
        "python3-config/--includes",
        "-I/usr/local/include/python3.11 -I/usr/local/include/python3.11",
        "make install",
    ),
    Prop(
        "python3-config --ldflags --embed",
        "python3-config/--ldflags --embed",
        lambda v: bool(v) and "-L/usr/local/lib" in v and "-lpython3.11" in v,
        "--enable-shared",
    ),
    Prop(
        "python3-config --extension-suffix",
        "python3-config/--extension-suffix",
        "@sysconfig.vars/EXT_SUFFIX",
        "make install",
    ),
    # pip: a current one, in site-packages, with setuptools and wheel beside it.
    Prop("pip is current", "pip.version", _pip_at_least(24), "--with-ensurepip of a current 3.11 release"),
    Prop("pip lives in site-packages", "pip.version", lambda v: f"from {SP}/pip (python 3.11)" in v, "ensurepip"),
    Prop("python -m pip is the same pip", "pip.python_m", "@pip.version", "one pip"),
    Prop("setuptools installed", "pip.packages/setuptools", "79.0.1", "Dockerfile: pip install setuptools==79.0.1"),
    Prop(
        "wheel installed",
        "pip.packages/wheel",
        lambda v: bool(v) and v.startswith("0.45."),
        "Dockerfile: pip install 'wheel<0.46'",
    ),
    *[
        Prop(f"pip scheme {k}", f"pip.scheme/{k}", v, "pip on upstream sysconfig")
        for k, v in {
            "purelib": SP,
            "platlib": SP,
            "scripts": "/usr/local/bin",
            "headers": "/usr/local/include/python3.11/demo",
            "data": "/usr/local",
        }.items()
    ],
    # What pip install writes, the layouts multi-stage Dockerfiles copy.
    Prop("pip install -> /usr/local", "install.default", _ALL_PATHS, "posix_prefix"),
    Prop(
        "console scripts run the /usr/local interpreter",
        "install.default.shebang",
        lambda s: bool(s) and s.startswith("#!/usr/local/bin/python3"),
        "pip's script maker, sys.executable",
    ),
    Prop(
        "pip install --prefix=/install -> /install/lib, /install/bin",
        "install.prefix",
        _ALL_PATHS,
        "posix_prefix under the prefix",
    ),
    Prop(
        "--prefix has only bin and lib (no local/)",
        "install.prefix.top",
        ["bin", "lib"],
        "posix_prefix (Debian adds local/)",
    ),
    Prop("pip install --user -> ~/.local", "install.user", _ALL_PATHS, "posix_user"),
    Prop("pip install --target", "install.target", _ALL_PATHS, "pip --target"),
    Prop("pip install --root=/r -> /r/usr/local", "install.root", _ALL_PATHS, "posix_prefix under the root"),
    Prop(
        "pip upgrades itself offline",
        "install.upgrade_pip",
        0,
        "with a registry it fetches from PyPI; offline, the wheelhouse has pip",
    ),
    # python -m venv.
    Prop("venv is created", "venv.created", 0, "ensurepip is installed"),
    Prop("venv's python is the /usr/local interpreter", "venv.python", "/usr/local/bin/python3.11", "venv symlinks"),
    Prop("pyvenv.cfg", "venv.cfg", {"home": "/usr/local/bin", "include-system-site-packages": "false"}, "venv"),
    Prop("venv layout", "venv.files", lambda d: all(d.values()), "venv + ensurepip"),
    Prop("venv lib64 -> lib", "venv.lib64", "lib", "venv on 64-bit POSIX"),
    Prop(
        "venv's pip is the image's pip",
        "venv.pip_version",
        "@pip.version_number",
        "ensurepip bundles the pip it installs",
    ),
    Prop("venv has setuptools (3.11's ensurepip)", "venv.setuptools", True, "ensurepip in 3.11 installs setuptools"),
    Prop("venv's sys.path", "venv.sys_path", lambda p: "/v/lib/python3.11/site-packages" in p and SP not in p, "venv"),
    Prop("pip install in a venv", "venv.install", _ALL_PATHS, "venv"),
    Prop(
        "venv scripts run the venv's python",
        "venv.install.shebang",
        lambda s: bool(s) and s.startswith("#!/v/bin/python"),
        "pip in a venv",
    ),
]


def _expected(prop: Prop, variant: str, facts: dict):
    expect = prop.expect
    if isinstance(expect, dict) and set(expect) == {"slim", "full"}:
        expect = expect[variant]
    if isinstance(expect, str) and expect.startswith("@"):
        expect = _pick(facts, expect[1:])
    return expect


def holds(prop: Prop, variant: str, facts: dict) -> tuple[bool, Any, Any]:
    found = _pick(facts, prop.fact)
    expect = _expected(prop, variant, facts)
    if callable(expect):
        return bool(expect(found)), found, "(predicate)"
    return found == expect, found, expect


# ------------------------------------------------------------------ probing an image


def probe(client, image: str) -> dict:
    """Every fact about `image`: the probe's output and the image's config."""
    api = client.api
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w") as tar:
        tar.add(PROBE, arcname="probe.py")
    container = api.create_container(
        image,
        ["python3", "/probe.py"],
        environment={"PYTHONDONTWRITEBYTECODE": "1"},
        network_disabled=True,
        labels={PROBE_LABEL: "fidelity"},
        host_config=api.create_host_config(network_mode="none", mem_limit=1024**3, memswap_limit=1024**3),
    )["Id"]
    try:
        api.put_archive(container, "/", payload.getvalue())
        api.start(container)
        status = api.wait(container, timeout=600)["StatusCode"]
        out = api.logs(container, stdout=True, stderr=False).decode()
        err = api.logs(container, stdout=False, stderr=True).decode()
    finally:
        api.remove_container(container, force=True)
    assert status == 0 and out.strip(), f"the probe failed in {image} (exit {status}): {err[-3000:]}"
    facts = json.loads(out.strip().splitlines()[-1])
    config = api.inspect_image(image)["Config"]
    facts["config"] = {k: config.get(k) for k in ["Cmd", "Entrypoint", "WorkingDir", "User"]}
    return facts


_FACTS: dict[str, dict] = {}


@pytest.fixture
def facts_of(sandbox_docker):
    def get(image: str) -> dict:
        if image not in _FACTS:
            try:
                sandbox_docker.api.inspect_image(image)
            except ImageNotFound:
                pytest.fail(f"{image} is not in the sandbox daemon: run manage.py prepare_sandbox")
            _FACTS[image] = probe(sandbox_docker, image)
        return _FACTS[image]

    return get


@pytest.mark.docker
@pytest.mark.parametrize("prop", PROPERTIES, ids=lambda p: p.id)
@pytest.mark.parametrize("variant", sorted(IMAGES))
def test_standin_has_the_official_property(variant, prop, facts_of):
    facts = facts_of(PREFIX + IMAGES[variant])
    ok, found, expected = holds(prop, variant, facts)
    assert ok, (
        f"{PREFIX}{IMAGES[variant]}: {prop.id}: found {found!r}, the official image has {expected!r} ({prop.source})"
    )


# ------------------------------------------------------------------ the corpus, graded

FROM_LINE = re.compile(r"^(\s*FROM\s+(?:--platform=\S+\s+)?)(python:3\.11(?:-slim)?)(?=\s|$)", re.I | re.M)


def on_images(text: str, prefix: str) -> str:
    return FROM_LINE.sub(lambda m: m.group(1) + prefix + m.group(2), text) if prefix else text


def lab_on_images(slug: str, prefix: str, workdir: Path):
    """The lab as shipped, or (with a prefix) a copy whose allowlist and every FROM use the
    prefixed tags, under a slug of its own so its starter image is its own too."""
    lab = find_lab(slug)
    if not prefix:
        return lab
    name = f"{slug}-{re.sub(r'[^a-z0-9]+', '-', prefix.lower()).strip('-')}"[:60]
    dest = workdir / name
    if not dest.exists():
        shutil.copytree(lab.dir, dest)
        spec = yaml.safe_load((dest / "lab.yaml").read_text(encoding="utf-8"))
        spec["slug"] = name
        spec["bases"] = [prefix + base for base in spec["bases"]]
        (dest / "lab.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
        for dockerfile in dest.rglob("Dockerfile"):
            dockerfile.write_text(on_images(dockerfile.read_text(encoding="utf-8"), prefix), encoding="utf-8")
    return load_lab(dest)


CASES = sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in CORPUS.glob("*/*/Dockerfile"))


def grade_case(case: str, prefix: str, workdir: Path):
    slug = case.split("/")[0]
    lab = lab_on_images(slug, prefix, workdir)
    given = read_tree(CORPUS / case)
    given["Dockerfile"] = on_images(given["Dockerfile"].decode(), prefix).encode()
    submission = f"fidelity-{case.replace('/', '-')}-{uuid.uuid4().hex[:8]}"
    # The corpus is written with the lesson's port and user (5000, appuser): the ML lab's
    # first values, as a learner may draw them.
    values = sample_draws(lab.spec.parameters)[0] if lab.spec.parameterized else None
    report = grade_files(lab=lab, given=given, submission_id=submission, parameters=values).report
    kinds = {check.id: check.kind for check in lab.spec.checks}
    failed = {c.id: c.message for c in report.checks if c.status != "passed" and kinds.get(c.id) in IMAGE_CHECK_KINDS}
    return report, failed


def test_corpus_covers_both_labs_and_every_pattern():
    patterns = {"site-packages-copy", "prefix-copy", "user-copy", "venv-copy", "usr-local-bin-paths", "python-m-pip"}
    for slug in ("otimizar-imagem", "api-modelo-ml"):
        assert patterns <= {c.split("/")[1] for c in CASES if c.startswith(f"{slug}/")}, slug


@pytest.mark.docker
@pytest.mark.parametrize("case", CASES)
def test_official_pattern_passes_on_the_standin(case, sandbox_docker, tmp_path_factory):
    report, failed = grade_case(case, PREFIX, tmp_path_factory.getbasetemp() / "labs-on-images")
    assert report.status == "passed" and not failed, (
        f"{case} on {PREFIX or ''}python:3.11(-slim): {report.status} {report.score}/{report.max_score}; "
        f"image checks not passed: {failed}; error: {report.error}; rejections: {report.rejections}"
    )


# ------------------------------------------------------------------ against the real images

OFFICIAL = {"slim": "python:3.11-slim-bookworm", "full": "python:3.11-bookworm"}
OFFICIAL_PREFIX = "estaleiro-official/"
# Facts that differ by design (README, "Base images without a registry"): the patch
# release and the pip of the official images move every few weeks.
KNOWN_DIFFERENCES = {
    "python.version",
    "env",
    "pip.version",
    "pip.version_number",
    "pip.python_m",
    "pip.packages",
    "venv.pip_version",
    "sysconfig.config_args",
    "ssl.openssl",
    "ssl.ca_certificates",
    "ldconfig.libpython",
}


@pytest.mark.registry
def test_official_images_agree(tmp_path_factory):
    from labs.sandbox.base_images import BaseImageError, official_with_wheelhouse
    from labs.sandbox.client import SandboxUnavailable, connect

    try:
        client = connect(settings.SANDBOX_DOCKER_HOST, timeout=900)
    except SandboxUnavailable as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true and no sandbox daemon: {exc}")
        pytest.skip(str(exc))
    packages = sorted({p for slug in ("otimizar-imagem", "api-modelo-ml") for p in find_lab(slug).spec.packages})
    try:
        for variant, name in OFFICIAL.items():
            official_with_wheelhouse(
                client, name, OFFICIAL_PREFIX + IMAGES[variant], packages, Path("/var/cache/estaleiro/base-images")
            )
    except BaseImageError as exc:
        # The daemon has no network by design; the pull goes through skopeo on this host.
        pytest.skip(f"no registry answers this host (skopeo), so the official images cannot be compared: {exc}")
    mismatches = []
    for variant in IMAGES:
        official = probe(client, OFFICIAL_PREFIX + IMAGES[variant])
        standin = _FACTS.get(PREFIX + IMAGES[variant]) or probe(client, PREFIX + IMAGES[variant])
        for prop in PROPERTIES:
            ok, found, expected = holds(prop, variant, official)
            if not ok:
                mismatches.append(
                    f"the table is wrong for {OFFICIAL[variant]}: {prop.id}: official has {found!r}, table says {expected!r}"
                )
        for key in sorted(set(official) - KNOWN_DIFFERENCES):
            if official[key] != standin.get(key):
                mismatches.append(f"{variant}: {key}: official {official[key]!r}, stand-in {standin.get(key)!r}")
    workdir = tmp_path_factory.mktemp("official")
    for case in CASES:
        report, failed = grade_case(case, OFFICIAL_PREFIX, workdir)
        if report.status != "passed" or failed:
            mismatches.append(f"{case} on the official image: {report.status} {failed}")
    assert not mismatches, "\n".join(mismatches)
