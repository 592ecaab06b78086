import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

MODULES = [
    "labs.grading.dockerfile",
    "labs.grading.rules",
    "labs.grading.hadolint",
    "labs.grading.context_rules",
    "labs.grading.i18n",
    "labs.grading.runner",
    "labs.sandbox.context",
    "common.i18n",
]


def test_the_static_analysis_imports_neither_django_nor_docker():
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "leaks = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'docker'))\n"
        "assert not leaks, leaks\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
