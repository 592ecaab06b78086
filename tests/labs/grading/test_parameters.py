"""Lab parameters in the spec: validation at load time, substitution, drawing (pure, no Django)."""

import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from labs.grading.checks import run_metadata
from labs.grading.kinds import Grading
from labs.grading.parameters import Parameter, draw_balanced, sample_draws
from labs.grading.spec import LabSpec, ParametersUnresolved, SpecError, parse_spec, spec_hash
from labs.grading.types import CheckStatus, ImageFacts

SPEC = """
slug: parametrizado
title: {pt-BR: "Parametrizado", en: "Parameterized"}
instructions:
  pt-BR: "Exponha a porta {{ param.port }} e rode como `{{param.user}}`."
  en: "Expose port {{ param.port }} and run as `{{ param.user }}`."
parameters:
  - name: port
    label: {pt-BR: "Porta", en: "Port"}
    range: [8000, 8090]
    step: 10
  - name: user
    label: {pt-BR: "Usuário", en: "User"}
    choices: [ana, bia, caio]
bases: [python:3.11-slim]
checks:
  - id: build
    kind: build
    title: Constrói
    points: 5
  - id: expose
    kind: metadata
    title: {pt-BR: "Porta {{ param.port }} exposta", en: "Port {{ param.port }} exposed"}
    points: 5
    expect: {exposed_ports: ["{{ param.port }}"], user: "{{ param.user }}"}
  - id: api
    kind: http
    title: API
    port: "{{ param.port }}"
    expect_regex: "porta {{ param.port }}"
"""


def spec_with(old: str, new: str) -> str:
    assert old in SPEC
    return SPEC.replace(old, new)


def test_a_parameterized_spec_loads_as_a_template_naming_what_varies():
    spec = parse_spec(SPEC)
    assert spec.parameterized and spec.values is None
    assert [p.name for p in spec.parameters] == ["port", "user"]
    # Texts show each placeholder's label in their own language; nothing of a learner's.
    assert spec.instructions == {
        "pt-BR": "Exponha a porta ‹Porta› e rode como `‹Usuário›`.",
        "en": "Expose port ‹Port› and run as `‹User›`.",
    }
    assert spec.checks[1].title == {"pt-BR": "Porta ‹Porta› exposta", "en": "Port ‹Port› exposed"}


def test_resolving_puts_a_learners_values_in_texts_and_typed_fields():
    spec = parse_spec(SPEC).resolve({"port": 8040, "user": "bia", "removed_since": 1})
    assert spec.values == {"port": 8040, "user": "bia"}
    assert spec.instructions["pt-BR"] == "Exponha a porta 8040 e rode como `bia`."
    expose, api = spec.checks[1], spec.checks[2]
    assert expose.expect.exposed_ports == [8040] and expose.expect.user == "bia"
    assert api.port == 8040 and isinstance(api.port, int) and api.expect_regex == "porta 8040"
    assert spec.check_values("expose") == {"port": 8040, "user": "bia"}
    assert spec.check_values("api") == {"port": 8040} and spec.check_values("build") == {}


def test_resolving_needs_every_value_and_keeps_a_value_from_before_an_edit():
    template = parse_spec(SPEC)
    with pytest.raises(ParametersUnresolved, match="no value for the parameter 'user'"):
        template.resolve({"port": 8000})
    with pytest.raises(ParametersUnresolved, match="not a value of the parameter 'port'"):
        template.resolve({"port": "8000", "user": "ana"})
    # 8005 is off the step now, but a learner drawn it before the edit keeps it.
    assert template.resolve({"port": 8005, "user": "ana"}).checks[2].port == 8005


def test_the_stored_template_reads_back_and_resolves_alike():
    template = parse_spec(SPEC)
    again = LabSpec.model_validate(template.stored())
    values = {"port": 8090, "user": "caio"}
    assert again.parameterized and again.values is None
    assert again.resolve(values).model_dump() == template.resolve(values).model_dump()
    plain = parse_spec("slug: simples\ntitle: Simples\n" + BASES_AND_BUILD)
    assert plain.stored() == plain.model_dump(mode="json") and plain.resolve({"x": 1}) is plain


BASES_AND_BUILD = """bases: [python:3.11-slim]
checks:
  - {id: build, kind: build, title: B, points: 1}
"""


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("{{ param.port }} exposta", "{{ param.prot }} exposta", r"checks\[1\].title.pt-BR: unknown parameter 'prot'"),
        (
            "rode como `{{param.user}}`",
            "rode como `{{ param.user }`",
            r"instructions.pt-BR: a placeholder is malformed",
        ),
        ('title: {pt-BR: "Parametrizado"', 'title: {pt-BR: "Lab {{ param.port }}"', r"title.pt-BR: unknown parameter"),
        ("range: [8000, 8090]", "range: [8090, 8000]", r"parameters.0.*the minimum comes first"),
        ("range: [8000, 8090]", "range: [8000, 8090]\n    choices: [1]", r"exactly one of choices .* and range"),
        ("choices: [ana, bia, caio]", "choices: [ana, 'bia; rm -rf /', caio]", r"parameters\[1\].choices"),
        ("choices: [ana, bia, caio]", "choices: [ana, ana]", r"choices must differ; repeated: ana"),
        ("name: user", "name: port", r"names must be unique; repeated: port"),
        ("name: user", "name: User-Name", r"parameters\[1\].name"),
        ("range: [8000, 8090]", "range: [65500, 65590]", r"with port=65590.*checks\[2\].port: Input should be less"),
        ("  - id: api\n", "  - id: api-{{ param.port }}\n", r"a check id is fixed"),
    ],
)
def test_spec_errors_name_the_field_at_load_time(old, new, error):
    with pytest.raises(SpecError, match=error):
        parse_spec(spec_with(old, new))


def test_a_placeholder_in_a_lab_without_parameters_is_unknown():
    text = SPEC.split("parameters:")[0] + BASES_AND_BUILD
    with pytest.raises(SpecError, match=r"unknown parameter 'port'.*declared: none"):
        parse_spec(text)


def test_the_spec_hash_covers_the_parameters(tmp_path):
    lab = Path("content/labs/api-modelo-ml")
    copy = tmp_path / "api-modelo-ml"
    shutil.copytree(lab, copy)
    before = spec_hash(copy)
    path = copy / "lab.yaml"
    path.write_text(path.read_text().replace("range: [5000, 5099]", "range: [5000, 5098]"))
    assert spec_hash(copy) != before


def test_sample_draws_take_the_extremes_and_the_middle():
    port = Parameter(name="port", label="Porta", range=(5000, 5099))
    user = Parameter(name="user", label="Usuário", choices=["a", "b", "c", "d"])
    assert sample_draws([port, user]) == [
        {"port": 5000, "user": "a"},
        {"port": 5099, "user": "d"},
        {"port": 5049, "user": "b"},
    ]
    assert sample_draws([Parameter(name="x", label="X", choices=[7])]) == [{"x": 7}]
    assert Parameter(name="p", label="P", range=(10, 20), step=5).values() == [10, 15, 20]


def test_balanced_drawing_uses_every_combination_before_repeating_one():
    parameters = [
        Parameter(name="port", label="P", range=(1, 3)),
        Parameter(name="user", label="U", choices=["a", "b"]),
    ]
    rng = random.Random(7)
    taken: list[dict] = []
    for _ in range(6):
        taken.append(draw_balanced(parameters, taken, rng))
    assert len({tuple(d.values()) for d in taken}) == 6  # all six, no repeat
    for _ in range(6):
        taken.append(draw_balanced(parameters, taken, rng))
    assert set(Counter(tuple(d.values()) for d in taken).values()) == {2}
    # The tie among the least used is broken at random, not by order.
    firsts = {tuple(draw_balanced(parameters, [], random.Random(seed)).values()) for seed in range(40)}
    assert len(firsts) > 3


def test_a_space_too_big_to_list_is_sampled():
    parameters = [Parameter(name="a", label="A", range=(0, 99_999)), Parameter(name="b", label="B", range=(0, 9))]
    drawn = draw_balanced(parameters, [], random.Random(1))
    assert drawn["a"] in range(100_000) and drawn["b"] in range(10)


def _metadata_outcome(spec: LabSpec, facts: ImageFacts, lang: str = "pt-BR"):
    check = spec.checks[1]
    grading = Grading(spec=spec, files={}, dockerfile="", parsed=None, lang=lang, sandbox=None)  # type: ignore[arg-type]
    grading.facts = facts
    return run_metadata(check, grading)


def test_another_learners_values_fail_with_the_learners_own_named():
    spec = parse_spec(SPEC).resolve({"port": 8010, "user": "bia"})
    facts = ImageFacts(
        id="x", size_bytes=1, user="ana", workdir="/app", exposed_ports=["8000/tcp"], cmd=None,
        entrypoint=None, env={}, labels={}, healthcheck=None,
    )  # fmt: skip
    outcome = _metadata_outcome(spec, facts)
    assert outcome.status == CheckStatus.FAILED
    text = outcome.message.render("pt-BR")
    assert "Sua porta é 8010 (sorteada para você); a imagem expõe 8000." in text
    assert "Seu usuário é bia (sorteado para você); a imagem roda como ana." in text
    assert "Your port is 8010" in outcome.message.render("en")
    right = ImageFacts(**{**facts.__dict__, "user": "bia:bia", "exposed_ports": ["8010/tcp"]})
    assert _metadata_outcome(spec, right).status == CheckStatus.PASSED


def test_grading_a_template_is_refused():
    from labs.grading.runner import grade

    with pytest.raises(ParametersUnresolved, match="resolve"):
        grade(spec=parse_spec(SPEC), files={}, sandbox=None)  # type: ignore[arg-type]
