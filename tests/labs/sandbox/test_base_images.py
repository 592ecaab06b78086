"""The stand-in recipe's own logic, without a daemon: the image config it writes, the slim
trimming, and what `prepare_sandbox` forgets after a recipe change."""

from pathlib import Path

from labs.sandbox import base_images
from labs.sandbox.base_images import RECIPES, ROOT_REPO, _config_changes, forget_superseded, root_key
from labs.sandbox.rootfs import slimify
from tests.labs.sandbox.fakes import as_client


def test_python_standins_get_the_official_environment():
    changes = _config_changes("python:3.11-slim", "k", RECIPES["python:3.11-slim"], {"python_version": "3.11.2"})
    assert "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in changes
    assert "ENV LANG=C.UTF-8" in changes and "ENV PYTHON_VERSION=3.11.2" in changes
    assert 'CMD ["python3"]' in changes


def test_slim_keeps_copyright_files_and_excludes_docs_from_later_installs(tmp_path):
    (tmp_path / "etc/dpkg/dpkg.cfg.d").mkdir(parents=True)
    for rel in [
        "usr/share/doc/bash/copyright",
        "usr/share/doc/bash/README.gz",
        "usr/share/man/man1/ls.1.gz",
        "usr/share/locale/pt_BR/LC_MESSAGES/x.mo",
        "usr/share/locale/locale.alias",
        "usr/share/zoneinfo/UTC",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    slimify(tmp_path)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == [
        "etc/dpkg/dpkg.cfg.d/docker",
        "usr/share/doc/bash/copyright",
        "usr/share/locale/locale.alias",
        "usr/share/zoneinfo/UTC",
    ]
    config = (tmp_path / "etc/dpkg/dpkg.cfg.d/docker").read_text()
    assert "path-exclude /usr/share/doc/*" in config and "path-include /usr/share/doc/*/copyright" in config


class FakeAPI:
    def __init__(self, images):
        self._images = images
        self.removed = []

    def images(self, all=False):
        return self._images

    def remove_image(self, ref, force=False, noprune=False):
        assert noprune, "an old root's untagged children are build cache: the janitor decides about them"
        self.removed.append(ref)


class FakeClient:
    def __init__(self, images):
        self.api = FakeAPI(images)


def test_a_superseded_root_is_untagged_only_when_nothing_tagged_stands_on_it(tmp_path, monkeypatch):
    monkeypatch.setattr(base_images, "forget_other_builds", lambda cache_dir: [])
    current = root_key(RECIPES["python:3.11-slim"])
    images = [
        {"Id": "new", "ParentId": "", "RepoTags": [f"{ROOT_REPO}:{current}"]},
        {"Id": "new-layer", "ParentId": "new", "RepoTags": ["python:3.11-slim"]},
        {"Id": "old", "ParentId": "", "RepoTags": [f"{ROOT_REPO}:oldslim"]},
        {"Id": "old-step", "ParentId": "old", "RepoTags": None},  # build cache on the old root
        {"Id": "old-full", "ParentId": "", "RepoTags": [f"{ROOT_REPO}:oldfull"]},
        {"Id": "starter", "ParentId": "old-full", "RepoTags": ["estaleiro-lab/x-starter:latest"]},
    ]
    client = FakeClient(images)
    (tmp_path / "rootfs").mkdir()
    for name in [f"{current}.tar", f"{current}.json", "oldslim.tar", "cpython-builder-abc.tar"]:
        (tmp_path / "rootfs" / name).write_text("x")
    gone = forget_superseded(as_client(client), tmp_path)
    assert client.api.removed == [f"{ROOT_REPO}:oldslim"]
    assert sorted(p.name for p in (tmp_path / "rootfs").iterdir()) == sorted(
        [f"{current}.tar", f"{current}.json", "cpython-builder-abc.tar"]
    )
    assert "cache: rootfs/oldslim.tar" in gone and f"image: {ROOT_REPO}:oldslim" in gone


def test_every_python_recipe_is_keyed_by_the_cpython_build(monkeypatch):
    before = root_key(RECIPES["python:3.11"])
    monkeypatch.setattr(base_images, "cpython_key", lambda: "another-build")
    assert root_key(RECIPES["python:3.11"]) != before
    assert root_key(RECIPES["debian:bookworm-slim"]) == root_key(RECIPES["debian:12-slim"])


def test_the_build_script_ships_with_the_module():
    from labs.sandbox.cpython import SCRIPT

    assert SCRIPT.exists() and Path(SCRIPT).read_text().startswith("#!/bin/sh")


def test_a_registry_image_comes_in_through_this_process_not_the_sandbox_daemon(monkeypatch, tmp_path):
    """The sandbox daemon has no network; where a registry answers, skopeo (run here) copies
    the image to an archive that the daemon loads."""
    import shutil
    import subprocess

    from labs.sandbox import base_images

    calls, loaded = [], []

    def fake_run(argv, **kwargs):
        calls.append(argv)
        destination = argv[-1].removeprefix("docker-archive:").rsplit(":", 2)[0]
        with open(destination, "wb") as archive:
            archive.write(b"an image archive")
        return subprocess.CompletedProcess(argv, 0, "", "")

    class Images:
        def load(self, data):
            loaded.append(data.read())

        def pull(self, *args, **kwargs):
            raise AssertionError("the sandbox daemon must not be asked to pull")

    class Client:
        images = Images()

    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/skopeo" if name == "skopeo" else None)
    monkeypatch.setattr(subprocess, "run", fake_run)
    assert base_images._try_pull(as_client(Client()), "python:3.11-slim")
    assert calls[0][:3] == ["skopeo", "copy", "--quiet"]
    assert calls[0][3] == "docker://docker.io/library/python:3.11-slim"
    assert calls[0][4].endswith(":python:3.11-slim")
    assert loaded == [b"an image archive"]
    # A registry with a port is no Docker Hub name.
    assert base_images._try_pull(as_client(Client()), "localhost:5000/team/app")
    assert calls[1][3] == "docker://localhost:5000/team/app:latest"

    def failing_run(argv, **kwargs):
        return subprocess.CompletedProcess(argv, 1, "", "pinging container registry: no route to host")

    monkeypatch.setattr(subprocess, "run", failing_run)
    assert base_images._try_pull(as_client(Client()), "python:3.11-slim") is False
