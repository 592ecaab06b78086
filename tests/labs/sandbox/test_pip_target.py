"""Wheels for the stand-ins' Python are resolved with its markers, not the host's."""

import base64
import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from labs.sandbox.pip_target import pip_download_command


def make_wheel(folder: Path, name: str, requires: list[str]) -> None:
    """A minimal pure-Python wheel, enough for pip to read its dependencies."""
    dist_info = f"{name}-1.0.dist-info"
    files = {
        f"{name}/__init__.py": "",
        f"{dist_info}/METADATA": "Metadata-Version: 2.1\nName: {}\nVersion: 1.0\n{}".format(
            name, "".join(f"Requires-Dist: {r}\n" for r in requires)
        ),
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},{len(text)}"
        for path, text in files.items()
    ] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(folder / f"{name}-1.0-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


@pytest.fixture
def index(tmp_path):
    folder = tmp_path / "index"
    folder.mkdir()
    make_wheel(folder, "client", ["oldpy; python_full_version < '3.11.3'", "newpy; python_version >= '3.13'"])
    make_wheel(folder, "oldpy", [])
    make_wheel(folder, "newpy", [])
    return folder


def downloaded(index: Path, dest: Path, version: str) -> set[str]:
    command = pip_download_command(version, dest=str(dest), platforms=["manylinux2014_x86_64"])
    done = subprocess.run(
        [*command, "--no-index", "--find-links", str(index), "client"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return {path.name.split("-")[0] for path in dest.glob("*.whl")}


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("3.11.2", {"client", "oldpy"}),
        ("3.11.3", {"client"}),
        ("3.13.5", {"client", "newpy"}),
    ],
)
def test_markers_are_evaluated_for_the_target_python(index, tmp_path, version, expected):
    assert downloaded(index, tmp_path / version, version) == expected
