import pytest
from pydantic import TypeAdapter

from labs.content import lab_dirs, load_lab
from labs.grading.spec import LabSpec, SpecError, localize, parse_spec
from labs.grading.types import Limits

MINIMAL = """
slug: demo-lab
title: Demo
bases: [python:3.11-slim]
checks:
  - {id: build, kind: build, title: Constrói, points: 10, required: true}
"""


def test_every_shipped_lab_loads_and_allows_python_311_slim():
    dirs = lab_dirs()
    assert {d.name for d in dirs} >= {"primeiro-conteiner", "api-modelo-ml", "otimizar-imagem"}
    for lab_dir in dirs:
        lab = load_lab(lab_dir)
        assert "python:3.11-slim" in lab.spec.bases
        assert lab.spec.max_score > 0
        assert (lab_dir / "reference" / "Dockerfile").is_file()
        assert lab.bad_cases(), f"{lab_dir.name} has no known-bad submissions"


def test_minimal_spec_has_defaults():
    spec = parse_spec(MINIMAL)
    assert spec.max_score == 10
    assert spec.limits.build_seconds == 300
    assert spec.pass_ratio == 0.7


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("bases: []", "bases: List should have at least 1 item"),
        ("checks:\n  - {id: xx, kind: dockerfile, rule: nope, title: X}", "unknown dockerfile rule 'nope'"),
        ("checks:\n  - {id: aa, kind: build, title: A}\n  - {id: aa, kind: build, title: B}", "repeated: aa"),
        (
            "checks:\n  - {id: hh, kind: http, title: H, port: banana}",
            "checks[0].port: Input should be a valid integer",
        ),
        (
            "checks:\n  - {id: ss, kind: image_size, title: S}",
            "set exactly one of max_added_mb and max_fraction_of_starter",
        ),
        (
            "checks:\n  - {id: bb, kind: teleport, title: B}",
            "checks[0]: Input tag 'teleport' found using 'kind' does not match",
        ),
        ("packages: [flask]", "'flask' must be pinned as name==version"),
        (
            "checks:\n  - {id: bb, kind: build, title: B, colour: red}",
            "checks[0].colour: Extra inputs are not permitted",
        ),
    ],
)
def test_spec_errors_name_the_field(change, expected):
    key = change.split(":")[0]
    text = "\n".join(
        line
        for line in MINIMAL.strip().splitlines()
        if not line.startswith(key) and not line.startswith("  - {id: build")
    )
    with pytest.raises(SpecError) as excinfo:
        parse_spec(text + "\n" + change, source="demo/lab.yaml")
    assert "demo/lab.yaml" in str(excinfo.value)
    assert expected in str(excinfo.value)


def test_invalid_yaml_is_reported():
    with pytest.raises(SpecError, match="invalid YAML"):
        parse_spec("slug: [unclosed", source="x.yaml")


def test_localize_falls_back_to_portuguese():
    assert localize({"pt-BR": "Olá", "en": "Hello"}, "en-us") == "Hello"
    assert localize({"pt-BR": "Olá"}, "en") == "Olá"
    assert localize("Só português", "en") == "Só português"


def test_the_spec_s_limits_are_the_sandbox_s_limits_with_the_same_defaults():
    spec = parse_spec(MINIMAL)
    assert isinstance(spec.limits, Limits) and spec.limits == Limits()
    limited = parse_spec(MINIMAL.replace("checks:", "limits: {build_seconds: 90, tmpfs_mb: 8}\nchecks:"))
    assert limited.limits == Limits(build_seconds=90, tmpfs_mb=8)
    assert LabSpec.model_validate(limited.model_dump(mode="json")) == limited


def test_limit_bounds_bind_authors_not_the_sandbox():
    assert Limits(build_seconds=3).build_seconds == 3  # a test's fast timeout
    with pytest.raises(SpecError, match=r"limits.build_seconds: Input should be greater than or equal to 5"):
        parse_spec(MINIMAL.replace("checks:", "limits: {build_seconds: 3}\nchecks:"))
    with pytest.raises(ValueError, match="colour"):
        TypeAdapter(Limits).validate_python({"colour": 3})
