"""Lab content on disk: content/labs/<slug>/{lab.yaml, starter/, reference/, bad/<case>/}."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .grading.spec import LabSpec, load_spec, spec_hash


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


def submission_files(lab: LabContent, given: dict[str, bytes]) -> dict[str, bytes]:
    """The learner's files over the starter files: what the learner did not send comes from the starter."""
    files = read_tree(lab.starter_dir) if lab.starter_dir.is_dir() else {}
    files.update(given)
    return files
