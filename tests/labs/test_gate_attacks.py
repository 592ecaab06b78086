"""Attacks on the static gate, each shown to work on the real sandbox daemon and refused by the gate.

Every case is first built on the daemon, to prove the builder really reads the hidden stage
or really fetches the URL (the daemon has no network: its download error names the URL),
then given to the gate, which must refuse it with a reason that names what it found.
"""

import uuid

import docker
import pytest

from labs.grading.dockerfile import gate
from labs.grading.i18n import t
from tests.labs.grading.test_gate_differential import build

pytestmark = pytest.mark.docker

BASE = "python:3.11-slim"
URL = "http://127.0.0.1:8765/modelo.pkl"


@pytest.fixture(scope="module")
def daemon(sandbox_docker):
    client = sandbox_docker
    before = {image.id.split(":")[1][:12] for image in client.images.list(all=True)}  # never removed: others use them
    # Stands for another learner's graded image (production tags are guessable: sub-<id>).
    other = f"estaleiro-sub/ataque-{uuid.uuid4().hex[:8]}:latest"
    made = build(client, b"FROM scratch\nCOPY codigo /codigo-de-outro-aluno\n", {"codigo": b"segredo\n"}, tag=other)
    assert not made.error and not made.parse_error, made
    state = {
        "client": client,
        "other": other,
        "other_id": client.images.get(other).id.split(":")[1][:12],
        "made": set(),
    }
    yield state
    for image_id in state["made"] - before - {state["other_id"]}:
        try:
            client.api.remove_image(image_id, force=True)
        except docker.errors.APIError:
            pass
    try:
        client.api.remove_image(other, force=True)
    except docker.errors.NotFound:
        pass
    client.close()


def build_on_daemon(daemon, text: str):
    result = build(daemon["client"], text.encode(), {"app.py": b"print('oi')\n"})
    for step in result.steps:
        daemon["made"].update(step[3])
    return result


def refusal(text: str):
    findings = gate(text.encode(), allowed_bases=[BASE])
    assert findings, "the gate let it through"
    return findings, " ".join(t(f.message_id, "en", **f.params) for f in findings)


# -- a stage hidden behind `\` + a no-break space ------------------------------------------------

NBSP = "\u00a0"
HIDDEN = {
    "from-disallowed-base": ("FROM python:3.11", "gate.from_not_allowed", "python:3.11"),
    "from-lab-starter-image": (
        "FROM estaleiro-lab/otimizar-imagem-starter:latest",
        "gate.from_not_allowed",
        "estaleiro-lab/otimizar-imagem-starter:latest",
    ),
    "from-other-learners-image": ("FROM {other}", "gate.from_not_allowed", "{other}"),
    "add-url": (f"ADD {URL} /m", "gate.add_url", URL),
    "copy-from-other-learners-image": (
        "COPY --from={other} /codigo-de-outro-aluno /roubado",
        "gate.copy_from_not_allowed",
        "{other}",
    ),
}


@pytest.mark.parametrize("case", sorted(HIDDEN))
@pytest.mark.parametrize(
    "hider",
    ["ENV MODO=producao \\" + NBSP, "RUN echo preparando \\" + NBSP, "# escape=`\n" + "ENV MODO=producao `" + NBSP],
)
def test_a_stage_hidden_by_a_no_break_space_is_seen_and_refused(daemon, case, hider):
    payload, message_id, named = (part.format(other=daemon["other"]) for part in HIDDEN[case])
    directive, _, hider = hider.rpartition("\n")
    text = f"{directive + chr(10) if directive else ''}FROM {BASE}\n{hider}\n{payload}\n"

    result = build_on_daemon(daemon, text)
    assert result.steps[-1][1] == 3 and result.steps[2][2] == payload, result  # the daemon's own third step
    if case == "from-other-learners-image":
        assert result.ids(3) == [daemon["other_id"]]  # it would build on the other learner's image
    if case == "copy-from-other-learners-image":
        assert not result.error  # and copy the other learner's files
    if case == "add-url":
        assert f'Get "{URL}"' in result.error

    findings, message = refusal(text)
    assert [(f.message_id, f.line) for f in findings] == [(message_id, text.count("\n"))]
    assert named in message


# -- ADD sources the builder fetches however they are spelled -----------------------------------

FETCHED = {
    "arg-variable": f"ARG U={URL}\nADD $U /m",
    "global-arg": "ARG U\nADD ${U} /m",  # with `ARG U=<url>` before the first FROM
    "quoted": f'ADD "{URL}" /m',
    "single-quoted": f"ADD '{URL}' /m",
    "json-form": f'ADD ["{URL}", "/m"]',
    "json-form-quoted": f'ADD ["\\"{URL}\\"", "/m"]',
    "json-form-variable": f'ARG U={URL}\nADD ["$U", "/m"]',
    "env-variable": f"ENV U={URL}\nADD ${{U}} /m",
    "two-variables": "ARG H=http\nARG P=://127.0.0.1:8765/modelo.pkl\nADD $H$P /m",
    "default-value": f"ARG U\nADD ${{U:-{URL}}} /m",
    "alternative-value": f"ARG U=1\nADD ${{U:+{URL}}} /m",
    "byte-order-mark": f"ADD \ufeff{URL} /m",
    "escape-backtick": f"ARG U={URL}\nADD `\n    $U /m",
    "escape-backslash-continued": f"ARG U={URL}\nADD \\\n    $U /m",
}


@pytest.mark.parametrize("case", sorted(FETCHED))
def test_every_spelling_of_a_url_the_builder_fetches_is_refused(daemon, case):
    directive = "# escape=`\n" if case == "escape-backtick" else ""
    meta = f"ARG U={URL}\n" if case == "global-arg" else ""
    text = f"{directive}{meta}FROM {BASE}\n{FETCHED[case]}\n"

    result = build_on_daemon(daemon, text)
    assert f'Get "{URL}"' in result.error, result  # the builder tried to download it

    findings, message = refusal(text)
    assert [f.message_id for f in findings] == ["gate.add_url"]
    assert URL in message


@pytest.mark.parametrize(
    "source, message_id",
    [
        ("HTTP://127.0.0.1:8765/modelo.pkl", "gate.add_url"),  # a local path for Docker, refused all the same
        (f"${{U-{URL}}}", "gate.bad_substitution"),  # Docker 20.10 has no colon-less default
        ("$PYTHON_VERSION", "gate.add_unresolved"),  # set by the base image, unknown to the gate
    ],
)
def test_neighbours_the_builder_does_not_fetch_are_still_refused(daemon, source, message_id):
    text = f"FROM {BASE}\nADD {source} /m\n"
    result = build_on_daemon(daemon, text)
    assert 'Get "' not in result.error, result
    findings, _ = refusal(text)
    assert [f.message_id for f in findings] == [message_id]


def test_what_the_classic_builder_expands_and_what_it_does_not(daemon):
    """Settled on the daemon: JSON-form ADD/COPY words are expanded and unquoted, --from is not."""
    json_form = build_on_daemon(
        daemon, f'FROM {BASE}\nARG F=app.py\nCOPY ["$F", "/\\"x\\""]\nARG U={URL}\nADD ["\\"$U\\"", "/m"]\n'
    )
    assert json_form.steps[2][3] and f'Get "{URL}"' in json_form.error  # $F found; "$U" fetched without its quotes

    copy_from = build_on_daemon(
        daemon, f"FROM {BASE} AS build\nFROM {BASE}\nARG S=build\nCOPY --from=$S /etc/hostname /h\n"
    )
    assert "invalid from flag value $S" in copy_from.error  # taken literally, never as the stage
    assert [
        f.message_id
        for f in gate(
            f"FROM {BASE} AS build\nFROM {BASE}\nARG S=build\nCOPY --from=$S /a /a\n".encode(), allowed_bases=[BASE]
        )
    ] == ["gate.copy_from_not_allowed"]
