"""The import graph of the project's own modules, read statically with `ast`: no cycle, and
the layers of docs/ARCHITECTURE.md respected.

Every `import` and `from ... import` counts, wherever it stands (in a function, a method, a
`try`), relative imports resolved; only those under `if TYPE_CHECKING:` are left out of the
cycle check (they never run), though the layering rules still apply to them. Tests and
migrations are not part of the graph: nothing imports them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("classes", "common", "config", "core", "labs", "lti", "quizzes")
SKIPPED_DIRS = {"migrations", "__pycache__"}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported name, absolute (a module, or a name inside one)
    line: int
    type_checking: bool  # only under `if TYPE_CHECKING:`


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        base = ROOT / package
        if not (base / "__init__.py").is_file():
            continue
        for path in sorted(base.rglob("*.py")):
            if SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                continue
            modules[_module_name(path)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of `from <level dots><name> import ...` written in `module`."""
    if level == 0:
        return name or ""
    parts = module.split(".")
    if not is_package:
        parts.pop()
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([name] if name else []))


def _imports_of(module: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, type_checking: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                visit(statement, True)
            for statement in node.orelse:
                visit(statement, type_checking)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, node.lineno, type_checking) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            for alias in node.names:
                # `from package import module` imports the module; `from module import name`
                # imports the module holding the name.
                target = f"{base}.{alias.name}" if alias.name != "*" else base
                found.append(Import(module, target, node.lineno, type_checking))
        for child in ast.iter_child_nodes(node):
            visit(child, type_checking)

    visit(tree, False)
    return found


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(imp for module, path in project_modules().items() for imp in _imports_of(module, path))


def project_target(name: str) -> str | None:
    """The project module an imported name loads last: the longest prefix that is one."""
    modules = project_modules()
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in project_modules()}
    for imp in all_imports():
        if imp.type_checking:
            continue
        target = project_target(imp.target)
        if target is not None and target != imp.source:
            graph[imp.source].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path (its first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_sees_the_modules_and_their_imports(tmp_path):
    modules = project_modules()
    assert {
        "labs.grading.runner",
        "labs.sandbox.docker_sandbox",
        "quizzes.services",
        "config.settings",
        "classes.deadlines",
    } <= set(modules)
    assert not any(".migrations" in name for name in modules)
    assert any(target.startswith("labs.grading.") for target in import_graph()["labs.grading.runner"])
    # Imports inside functions and under TYPE_CHECKING are seen, relative ones resolved.
    source = tmp_path / "example.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import spec\n"
        "if TYPE_CHECKING:\n"
        "    from ..sandbox.client import Client\n"
        "def late():\n"
        "    import labs.models\n"
        "    from .report import Report\n"
    )
    found = {(imp.target, imp.type_checking) for imp in _imports_of("labs.grading.example", source)}
    assert found == {
        ("typing.TYPE_CHECKING", False),
        ("labs.grading.spec", False),
        ("labs.sandbox.client.Client", True),
        ("labs.models", False),
        ("labs.grading.report.Report", False),
    }


def test_find_cycle_reports_the_path():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]


def test_resolve_relative_imports():
    assert _resolve("labs.grading.runner", False, 1, "spec") == "labs.grading.spec"
    assert _resolve("labs.grading", True, 1, "spec") == "labs.grading.spec"
    assert _resolve("labs.grading.runner", False, 2, "sandbox") == "labs.sandbox"
    assert _resolve("labs.views", False, 1, None) == "labs"


def test_no_import_cycle_among_the_projects_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


# The layers of docs/ARCHITECTURE.md. For each layer (a package and what lies under it, minus
# the more specific layers named after it): the project packages it may import, and the
# third-party packages it must not.
DJANGO_SIDE = ("django", "django_htmx", "template_partials", "axes", "celery", "kombu", "redis")
LAYERS = {
    "common": {"may_import": ("common",), "forbidden": (*DJANGO_SIDE, "docker")},
    "labs.grading": {"may_import": ("labs.grading", "common"), "forbidden": (*DJANGO_SIDE, "docker")},
    "labs.sandbox": {"may_import": ("labs.sandbox", "labs.grading", "common"), "forbidden": ()},
    "quizzes.importers": {
        "may_import": ("quizzes.importers", "quizzes.docker_command", "common"),
        "forbidden": (*DJANGO_SIDE, "docker"),
    },
}


# The base of classes, which labs and quizzes read (deadlines, permissions): it imports
# neither, so the apps may import it without a cycle. The rest of classes (services,
# selectors, views, the menu's tag) reads and writes through labs' and quizzes' own.
CLASSES_BASE = ("classes.models", "classes.deadlines", "classes.permissions", "classes.decorators")


def _layer_of(module: str) -> str | None:
    matching = [layer for layer in LAYERS if _in(module, layer)]
    return max(matching, key=len) if matching else None


def _top(name: str) -> str:
    return name.split(".")[0]


def layering_violations(imports: tuple[Import, ...] | None = None) -> list[str]:
    found = []
    for imp in all_imports() if imports is None else imports:
        where = f"{imp.source} (line {imp.line}) imports {imp.target}"
        target = project_target(imp.target)
        layer = _layer_of(imp.source)
        if layer is not None:
            rules = LAYERS[layer]
            if target is not None and not any(_in(target, allowed) for allowed in rules["may_import"]):
                found.append(f"{where}: {layer} may import only {', '.join(rules['may_import'])}")
            if target is None and _top(imp.target) in rules["forbidden"]:
                found.append(f"{where}: {layer} stays free of {_top(imp.target)}")
        if target is None and _top(imp.target) == "docker" and not _in(imp.source, "labs.sandbox"):
            found.append(f"{where}: only labs.sandbox talks to the docker SDK")
        if target is not None and _in(imp.source, "labs") and _in(target, "quizzes"):
            found.append(f"{where}: labs never imports quizzes")
        if (
            target is not None
            and any(_in(imp.source, base) for base in CLASSES_BASE)
            and (_in(target, "labs") or _in(target, "quizzes"))
        ):
            found.append(f"{where}: classes' models, deadlines and permissions import neither labs nor quizzes")
        if target is not None and _in(target, "lti") and not (_in(imp.source, "lti") or _in(imp.source, "config")):
            found.append(f"{where}: lti sits on top: it imports the apps, none of them imports it")
        if target is not None and _in(target, "config") and not _in(imp.source, "config") and target != "config.celery":
            found.append(f"{where}: of config, the apps import only config.celery")
    return found


def test_the_layers_of_the_architecture_hold():
    violations = layering_violations()
    assert not violations, "\n".join(violations)


def test_a_layering_violation_is_reported():
    """The check can fail, once per broken rule, and lets the allowed imports through."""
    planted = (
        Import("labs.grading.runner", "django.conf.settings", 1, False),
        Import("labs.grading.runner", "labs.sandbox.client", 2, False),
        Import("labs.views", "quizzes.models.Quiz", 3, False),
        Import("core.views", "docker", 4, False),
        Import("common.i18n", "core.roles", 5, False),
        Import("quizzes.views", "config.settings", 6, False),
        Import("quizzes.importers.gift", "django.utils.translation.gettext", 7, True),
        Import("classes.deadlines", "labs.models.Submission", 8, False),
        Import("classes.permissions", "quizzes.selectors", 9, True),
        Import("classes.views", "lti.models.CourseClass", 10, False),
        Import("labs.services", "lti.passback", 11, False),
        Import("classes.templatetags.classes_nav", "lti.models.CourseClass", 12, False),
    )
    assert len(layering_violations(planted)) == len(planted), layering_violations(planted)
    allowed = (
        Import("labs.sandbox.build", "docker.errors.APIError", 1, False),
        Import("labs.sandbox.build", "labs.grading.types.Limits", 2, False),
        Import("quizzes.gradebook", "labs.models.Submission", 3, False),
        Import("labs.tasks", "config.celery.app", 4, False),
        Import("labs.grading.spec", "common.i18n.normalize_lang", 5, False),
        Import("core.views", "labs.selectors", 6, False),
        Import("labs.services", "classes.deadlines.learner_terms", 7, False),
        Import("quizzes.views", "classes.decorators.class_required", 8, False),
        Import("classes.services", "labs.services.submissions_lateness_refresh", 9, False),
        Import("classes.selectors", "quizzes.selectors.quizzes_progress", 10, False),
        Import("core.views", "classes.selectors.class_work", 11, False),
        Import("lti.services", "classes.services.membership_add", 12, False),
        Import("lti.roster", "config.celery.app", 13, False),
        Import("lti.passback", "labs.selectors.lab_grade_submissions", 14, False),
        Import("lti.receivers", "classes.signals.grade_changed", 15, False),
    )
    assert layering_violations(allowed) == []
