import pkgutil
import subprocess
import sys
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("common", "config", "core", "labs", "quizzes")


def test_common_imports_neither_django_nor_the_project():
    """common/ is the bottom of the import graph: the apps and the grading engine import it."""
    modules = [f"common.{m.name}" for m in pkgutil.iter_modules(common.__path__)]
    assert "common.image_ref" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"leaks = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'docker', *{PROJECT[1:]!r}))\n"
        "assert not leaks, leaks\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
