"""A check kind is registered in one place: the spec's union and the runner follow the registry."""

import ast
import typing
from pathlib import Path
from typing import Literal

import pytest

from labs.grading import kinds
from labs.grading.checks import CHECK_KINDS
from labs.grading.kinds import CheckBase, CheckKind, Outcome, Phase
from labs.grading.report import Verdict
from labs.grading.runner import grade
from labs.grading.spec import LabSpec, SpecError, parse_spec
from labs.grading.types import CheckStatus

from .fakes import FakeContainer, FakeSandbox

ENGINE = Path(kinds.__file__).parent
BUILT_IN = {"build", "dockerfile", "hadolint", "context", "metadata", "http", "command", "file", "image_size"}

PLAIN_LAB = """
slug: plain-lab
title: Plain
bases: [python:3.11-slim]
checks:
  - {id: build, kind: build, title: Builds, points: 5}
  - {id: app, kind: file, title: The app is there, points: 3, path: /app}
"""

TOY_LAB = """
slug: toy-lab
title: Toy
bases: [python:3.11-slim]
checks:
  - {id: build, kind: build, title: Builds, points: 5}
  - {id: first, kind: toy, title: Toy one, points: 3, word: ok}
  - {id: second, kind: toy, title: Toy two, points: 2, word: nope}
"""


def union_kinds() -> set[str]:
    item = typing.get_args(LabSpec.model_fields["checks"].annotation)[0]
    union = typing.get_args(item)[0]
    return {typing.get_args(model.model_fields["kind"].annotation)[0] for model in typing.get_args(union)}


def test_the_spec_union_is_the_registry():
    assert set(CHECK_KINDS) == BUILT_IN
    assert union_kinds() == set(CHECK_KINDS)
    for name, kind in CHECK_KINDS.items():
        assert typing.get_args(kind.model.model_fields["kind"].annotation) == (name,)


def test_no_module_names_a_check_model_to_dispatch_on_it():
    """Dispatch goes through the registry: no `isinstance(check, XCheck)` chains again."""
    models = {kind.model.__name__ for kind in CHECK_KINDS.values()}
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance":
                named = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                assert not named & models, f"{path.name}:{node.lineno} dispatches on {named & models}"


class ToyCheck(CheckBase):
    kind: Literal["toy"]
    word: str


seen: list[tuple[str, list[str]]] = []


def run_toy(check: ToyCheck, grading) -> Outcome:
    assert grading.container is not None and grading.facts is not None
    ok = check.word in grading.prepared["toy-words"]
    return Outcome(CheckStatus.PASSED if ok else CheckStatus.FAILED, f"toy says {check.word}")


def prepare_toy(checks: list[ToyCheck], grading) -> None:
    seen.append(("prepare", [c.id for c in checks]))
    grading.prepared["toy-words"] = {"ok"}


@pytest.fixture
def toy_kind():
    kinds.register(CheckKind("toy", ToyCheck, Phase.CONTAINER, run_toy, prepare=prepare_toy))
    yield
    kinds.unregister("toy")


def test_a_kind_registered_elsewhere_is_validated_and_run(toy_kind):
    spec = parse_spec(TOY_LAB)
    assert "toy" in union_kinds()
    assert [check.kind for check in spec.checks] == ["build", "toy", "toy"]
    with pytest.raises(SpecError, match=r"checks\[1\].word: Field required"):
        parse_spec(TOY_LAB.replace(", word: ok", ""))
    # As stored in the database and read back.
    assert LabSpec.model_validate(spec.model_dump(mode="json")) == spec

    seen.clear()
    sandbox = FakeSandbox(container=FakeContainer())
    report = grade(spec=spec, files={"Dockerfile": b"FROM python:3.11-slim\n"}, sandbox=sandbox).report
    assert seen == [("prepare", ["first", "second"])]
    outcomes = {c.id: (c.kind, c.status, c.message) for c in report.checks}
    assert outcomes == {
        "build": ("build", "passed", "A imagem foi construída com sucesso."),
        "first": ("toy", "passed", "toy says ok"),
        "second": ("toy", "failed", "toy says nope"),
    }
    assert report.score == 8 and report.status == Verdict.PASSED
    assert sandbox.container.removed  # the kind's phase made the runner start (and remove) a container


def test_an_unregistered_kind_is_refused_again(toy_kind):
    kinds.unregister("toy")
    with pytest.raises(SpecError, match=r"checks\[1\]: Input tag 'toy' found using 'kind' does not match"):
        parse_spec(TOY_LAB)
    kinds.register(CheckKind("toy", ToyCheck, Phase.CONTAINER, run_toy))


def test_a_kind_whose_model_names_another_kind_is_refused():
    with pytest.raises(ValueError, match="Literal"):
        kinds.register(CheckKind("other", ToyCheck, Phase.LINT, run_toy))
    assert "other" not in CHECK_KINDS


def test_a_kind_whose_phase_is_not_reached_says_so():
    spec = parse_spec(PLAIN_LAB)
    sandbox = FakeSandbox()
    sandbox.build_outcome = sandbox.build_outcome.__class__(ok=False, log="boom", failing_step="Step 1/1 : FROM x")
    report = grade(spec=spec, files={"Dockerfile": b"FROM python:3.11-slim\n"}, sandbox=sandbox, lang="en").report
    skipped = next(c for c in report.checks if c.id == "app")
    assert (skipped.status, skipped.message) == ("skipped", "Not checked: the image was not built.")
