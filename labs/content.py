"""Lab content on disk: content/labs/<slug>/{lab.yaml, starter/, reference/, bad/<case>/}.

Disk is read by what works on the content folder itself (load_content, the self-test,
`manage.py grade`, prepare_sandbox). The site and its gradings read a lab from the database
(labs.selectors.lab_version): both give grading the same thing, a `GradableLab`.
"""

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

from django.conf import settings

from .grading.spec import LabSpec, load_spec, spec_hash


class GradableLab(Protocol):
    """What grading needs of one version of a lab."""

    @property
    def spec(self) -> LabSpec: ...

    @property
    def hash(self) -> str: ...

    @property
    def starter_files(self) -> Mapping[str, bytes]: ...


@dataclass(frozen=True)
class SpecVersion:
    """One version of a lab as stored (a LabVersion row), validated once: the spec, the
    hash that names it, and the starter files."""

    hash: str
    spec: LabSpec
    starter_files: Mapping[str, bytes]


@dataclass(frozen=True)
class LabContent:
    dir: Path
    spec: LabSpec
    hash: str

    @property
    def starter_dir(self) -> Path:
        return self.dir / "starter"

    @property
    def reference_dir(self) -> Path:
        return self.dir / "reference"

    @cached_property
    def starter_files(self) -> dict[str, bytes]:
        return read_tree(self.starter_dir) if self.starter_dir.is_dir() else {}

    def bad_cases(self) -> list[Path]:
        return sorted(p for p in (self.dir / "bad").glob("*") if p.is_dir())


def lab_dirs(content_dir: Path | None = None) -> list[Path]:
    root = (content_dir or settings.CONTENT_DIR) / "labs"
    return sorted(p.parent for p in root.glob("*/lab.yaml"))


def load_lab(lab_dir: Path) -> LabContent:
    return LabContent(dir=lab_dir, spec=load_spec(lab_dir), hash=spec_hash(lab_dir))


def find_lab(slug: str, content_dir: Path | None = None) -> LabContent:
    for lab_dir in lab_dirs(content_dir):
        if lab_dir.name == slug:
            return load_lab(lab_dir)
    known = ", ".join(p.name for p in lab_dirs(content_dir)) or "none"
    raise LookupError(f"no lab {slug!r} (known: {known})")


def read_tree(root: Path) -> dict[str, bytes]:
    """Every regular file under root as relative POSIX path -> bytes (symlinks are refused)."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            raise ValueError(f"{path}: symbolic links are not accepted")
        if path.is_file():
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def encode_files(files: Mapping[str, bytes]) -> dict[str, str]:
    """Files as a JSON column keeps them: path -> base64."""
    return {path: base64.b64encode(data).decode("ascii") for path, data in files.items()}


def decode_files(stored: Mapping[str, str]) -> dict[str, bytes]:
    return {path: base64.b64decode(data) for path, data in stored.items()}


def submission_files(lab: GradableLab, given: dict[str, bytes]) -> dict[str, bytes]:
    """The learner's files over the starter files: what the learner did not send comes from the starter."""
    files = dict(lab.starter_files)
    files.update(given)
    return files
