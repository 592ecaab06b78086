"""The gate reads a Dockerfile as the real builder does: a differential test against the daemon.

Seeded generated Dockerfiles (odd whitespace, Unicode spaces after the escape character, both
escape directives, comments and empty lines inside continuations, CRLF, BOM, JSON and shell
forms, quotes and variables in FROM, ADD and COPY --from) are parsed by the gate and built by
the sandbox daemon on small marker images. What the daemon printed ("Step i/N : ..."), which
image each stage ran on, what each COPY --from copied and whether an ADD source was fetched
as a URL must match what the gate saw; whatever the builder fetched, the gate refused.

The daemon has no network, so a URL source fails with its own download error naming the URL
(`Get "http://..."`), while a local source is found or reported missing from the context.
"""

import io
import random
import re
import tarfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest

from labs.grading.dockerfile import DockerfileSyntaxError, Stage, gate, parse

pytestmark = pytest.mark.docker

SEED = 20_10_24
CASES = 56
BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static, installed by scripts/setup.sh
URL = "http://127.0.0.1:9/p"  # nothing listens, and the daemon's namespace has only loopback


# -- the daemon side -------------------------------------------------------------------------


def _tar(files: dict) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            archive.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


@dataclass
class Build:
    steps: list = field(default_factory=list)  # (index, total, text, [ids after it])
    error: str = ""
    parse_error: str = ""  # the daemon refused the file before any step

    def ids(self, step: int) -> list:
        return self.steps[step - 1][3] if step <= len(self.steps) else []


_STEP = re.compile(r"Step (\d+)/(\d+) : (.*)")
_ID = re.compile(r" ---> ([0-9a-f]{12})$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the daemon colours its warnings


def build(client, dockerfile: bytes, files: dict, tag: str | None = None) -> Build:
    result, text = Build(), []
    try:
        for chunk in client.api.build(
            fileobj=_tar({"Dockerfile": dockerfile, **files}),
            custom_context=True,
            decode=True,
            network_mode="none",
            rm=True,
            forcerm=True,
            pull=False,
            tag=tag,
        ):
            text.append(chunk.get("stream", ""))
            result.error = chunk.get("error", result.error)
    except docker.errors.APIError as exc:
        result.parse_error = str(exc.explanation or exc)
        return result
    for line in _ANSI.sub("", "".join(text)).split("\n"):
        if match := _STEP.match(line):
            result.steps.append((int(match[1]), int(match[2]), match[3], []))
        elif (match := _ID.match(line)) and result.steps:
            result.steps[-1][3].append(match[1])
    return result


@pytest.fixture(scope="module")
def daemon(sandbox_docker):
    client = sandbox_docker
    before = {image.id for image in client.images.list(all=True)}
    run = uuid.uuid4().hex[:8]
    markers = {}
    busybox = BUSYBOX.read_bytes()
    for name in ("a", "b", "c"):
        tag = f"estaleiro-difftest-{run}/{name}:1"
        made = build(
            client,
            b"FROM scratch\nCOPY busybox /bin/sh\nCOPY which /which\n",
            {"busybox": busybox, "which": f"image {name}".encode()},
            tag=tag,
        )
        assert not made.error and not made.parse_error, made
        markers[name] = (tag, client.images.get(tag).id.split(":")[1][:12])
    state = {"client": client, "markers": markers, "made": set()}
    yield state
    for image_id in sorted(state["made"] | {short for _, short in markers.values()}, reverse=True):
        if not any(full.split(":")[1].startswith(image_id) for full in before):
            try:
                client.api.remove_image(image_id, force=True)
            except docker.errors.APIError:
                pass  # already gone with a child removed before it
    for tag, _ in markers.values():
        try:
            client.api.remove_image(tag, force=True)
        except docker.errors.NotFound:
            pass
    client.close()


def read_file(client, image_id: str, path: str) -> str:
    container = client.api.create_container(image_id, command=["/bin/sh"], network_disabled=True)
    try:
        stream, _ = client.api.get_archive(container["Id"], path)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            return archive.extractfile(archive.getmembers()[0]).read().decode()
    finally:
        client.api.remove_container(container["Id"], force=True)


# -- the generator -----------------------------------------------------------------------------

AFTER_ESCAPE = [
    "",
    " ",
    "\t",
    " \t ",
    "\u00a0",
    "\u2000",
    "\u2003",
    "\u2009",
    "\u200a",
    "\u3000",
    "\u202f",
    "\u205f",
    "\u1680",
    "\x85",
    "\v",
    "\f",
    "\u2028",
]
BLANKS = [" ", "  ", "\t", " \t", "\u00a0", "\u3000"]


@dataclass
class Case:
    text: str
    allowed: list
    context: dict


def generate(rng: random.Random, markers: dict, number: int) -> Case:
    esc = rng.choice(["\\", "\\", "`"])
    eol = rng.choice(["\n"] * 5 + ["\r\n"] * 4 + ["\r\r\n"] * (number % 4 != 0))
    lines: list[str] = []
    meta: list[str] = []
    stage_names: list[str] = []
    if esc == "`" or rng.random() < 0.2:
        lines.append(f"# escape={esc}")
    image = {name: tag for name, (tag, _) in markers.items()}
    if rng.random() < 0.5:
        meta.append(f"ARG IMG={image[rng.choice('ab')]}")
    if rng.random() < 0.4:
        meta.append(f"ARG U={URL}{number}m")
    lines += meta

    # Every fourth case is written to pass the gate, so that the daemon builds what it accepted.
    clean = number % 4 == 0

    def image_expression() -> str:
        if rng.random() < 0.1:
            return rng.choice(["scratch", '"scratch"'])
        name = rng.choice("ab" if clean else "aaabbbbc")
        forms = [image[name], f'"{image[name]}"', f"${{NOPE:-{image[name]}}}"]
        if meta and meta[0].startswith("ARG IMG="):
            forms += ["$IMG", "${IMG}", '"${IMG}"']
        return rng.choice(forms)

    def separator() -> str:
        """Mostly a plain blank; a Unicode space is part of the word for Docker, not a separator."""
        return rng.choice([" "] * 30 + ["\t", " \t "] + ([] if clean else ["\v", "\u00a0", "\u3000"]))

    def continuation_trick() -> list:
        """An instruction ending in the escape character and some blank, then the next line."""
        blank = rng.choice(AFTER_ESCAPE)
        # A shell comment, so that the escape character or a joined line never reaches sh.
        shell = "scratch" not in lines[-2]  # no /bin/sh FROM scratch
        head = rng.choice([f"RUN echo x # {esc}{blank}"] * shell + [f"ENV K{rng.randrange(99)} v {esc}{blank}"])
        middle = rng.choice([[], [], ["# comentário"], [""], ["   "], ["#"]])
        return [head, *middle]

    stages = rng.randint(1, 3)
    for index in range(stages):
        if index and stage_names and rng.random() < 0.25:
            base = rng.choice([stage_names[-1], stage_names[-1].upper()])
        else:
            base = image_expression()
        name = f"s{index}"
        stage_names.append(name)
        lines.append(f"FROM{separator()}{base}{separator()}AS {rng.choice([name, name.upper()])}")
        lines.append(f"COPY s{index} /which")
        if rng.random() < 0.6:
            lines += continuation_trick()
            if rng.random() < 0.5 and index + 1 < stages:
                continue  # the next FROM follows the trick directly
        if index and rng.random() < 0.8:
            valid = [
                f"s{rng.randrange(index)}",
                f"S{rng.randrange(index)}",
                str(rng.randrange(index)),
                f"+{rng.randrange(index)}",
                image[rng.choice("ab")],
                f'"{image["a"]}"',
            ]
            source = rng.choice(valid if clean else valid + [image["c"], "$IMG", str(index)])
            lines.append(f"COPY{separator()}--from={source}{separator()}/which /got{index}")
        if rng.random() < 0.5:
            lines.append(f"ENV{rng.choice(BLANKS)}E{index}=local.txt")
    if clean:
        lines.append(
            rng.choice(
                [
                    "ADD local.txt /added",
                    'ADD "local.txt" /added',
                    'ADD ["local.txt", "/added"]',
                    "COPY local.txt /added",
                ]
            )
        )
    else:
        lines += add_probe(rng, number, esc)
    text = rng.choice(["", "", "\ufeff"]) + eol.join(lines) + eol
    allowed = [image["a"], image["b"], "scratch"]
    context = {"local.txt": b"local\n", **{f"s{i}": f"stage {i}".encode() for i in range(3)}}
    return Case(text, allowed, context)


def add_probe(rng: random.Random, number: int, esc: str) -> list:
    """The last instruction: an ADD whose source is a URL for the builder or not."""
    url = f"{URL}{number}"
    kinds = [
        "local",
        "local_quoted",
        "local_env",
        "local_path",
        "url",
        "url_quoted",
        "url_json",
        "url_json_quoted",
        "url_arg",
        "url_meta_arg",
        "url_env",
        "url_default",
        "url_two_vars",
        "url_bom",
        "upper",
        "bad_modifier",
        "split",
    ]
    kind = kinds[number % len(kinds)]  # each kind in turn, so that every one is tried
    before, source = (
        [],
        {
            "local": "local.txt",
            "local_quoted": '"local.txt"',
            "local_env": "$E0",
            "local_path": "${PATH:+local.txt}",  # PATH: the image's, or the builder's default FROM scratch
            "url": url,
            "url_quoted": rng.choice([f'"{url}"', f"'{url}'", f'h"tt"p{url[4:]}']),
            "url_json": None,
            "url_json_quoted": None,
            "url_arg": "$U",
            "url_meta_arg": "${U}",
            "url_env": "${UE}",
            "url_default": f"${{NOTSET:-{url}}}",
            "url_two_vars": "$H$P",
            "url_bom": f"\ufeff{url}",
            "upper": f"HTTP:{url[5:]}",
            "bad_modifier": f"${{NOTSET-{url}}}",
            "split": f"loc{esc}\nal.txt",
        }[kind],
    )
    if kind == "url_arg":
        before = [f"ARG U={url}"]
    elif kind == "url_meta_arg":
        before = ["ARG U"]
    elif kind == "url_env":
        before = [f"ENV UE={url}"]
    elif kind == "url_two_vars":
        before = ["ARG H=http", f"ARG P={url[4:]}"]
    elif kind == "url_json":
        return [f'ADD ["{url}", "/added"]']
    elif kind == "url_json_quoted":
        return [f'ADD ["\\"{url}\\"", "/added"]']
    return [*before, f"ADD {source} /added"]


# -- the comparison ------------------------------------------------------------------------------


def compare(state, case: Case) -> dict:
    """Build the case and check the gate against what the daemon did; returns what was seen."""
    client, markers = state["client"], state["markers"]
    findings = gate(case.text.encode(), allowed_bases=case.allowed)
    found = {(f.message_id, f.line) for f in findings}
    result = build(client, case.text.encode(), case.context)
    for step in result.steps:
        state["made"].update(step[3])
    seen: dict[str, Any] = {
        "refused": bool(findings),
        "daemon": "parse_error" if result.parse_error else ("error" if result.error else "built"),
    }
    if result.parse_error:
        assert findings, f"the daemon refused the file ({result.parse_error}) but the gate did not"
        return seen
    try:
        parsed = parse(case.text)
    except DockerfileSyntaxError:
        pytest.fail(f"the gate's parser failed where the daemon built: {result.steps}")
    if "gate.stray_carriage_return" in {f.message_id for f in findings}:
        return seen  # read differently by design, and refused

    # The same instructions, in the same order, counted the same.
    total = result.steps[0][1]
    assert total == len(parsed.instructions), (total, [i.original for i in parsed.instructions])
    for (index, _, text, _), instruction in zip(result.steps, parsed.instructions, strict=False):
        assert text == instruction.original, (index, text, instruction.original)

    short = {tag: image_id for tag, image_id in markers.values()}
    allowed_ids = {short[tag] for tag in case.allowed if tag in short}
    stage_results, by_line = {}, {i.line: n + 1 for n, i in enumerate(parsed.instructions)}
    for stage in parsed.stages:
        step = by_line[stage.line]
        ids = result.ids(step)
        if not ids and step < len(result.steps):  # FROM scratch: no image, yet the build went on
            assert stage.image == "scratch" and stage.parent is None, stage
            last = next((i for i in reversed(stage.instructions) if result.ids(by_line[i.line])), None)
            stage_results[stage.index] = result.ids(by_line[last.line])[-1] if last else None
            continue
        if not ids:
            break  # the daemon stopped at this FROM
        if stage.parent is not None:
            expected = stage_results[stage.parent]
        else:
            expected = short.get(stage.image)
        assert ids[-1] == expected, (stage, ids)
        if ids[-1] not in allowed_ids and stage.parent is None:
            assert ("gate.from_not_allowed", stage.line) in found or ("gate.from_unresolved", stage.line) in found
        last = next((i for i in reversed(stage.instructions) if result.ids(by_line[i.line])), None)
        stage_results[stage.index] = result.ids(by_line[last.line])[-1] if last else ids[-1]

    for instruction in parsed.instructions:
        step = by_line[instruction.line]
        if step > len(result.steps):
            break
        stopped_here = step == len(result.steps) and result.error
        if instruction.name == "COPY" and "from" in instruction.flags and result.ids(step):
            got = read_file(client, result.ids(step)[-1], instruction.args[-1])
            stage_source = next(
                (s for s in parsed.stages[: instruction.stage] if _names(s, instruction.flags["from"])), None
            )
            expected = (
                f"stage {stage_source.index}"
                if stage_source
                else f"image {_marker_name(markers, instruction.flags['from'])}"
            )
            assert got == expected, (instruction.original, got, expected)
            if not got.startswith("stage") and got != "image a" and got != "image b":
                assert ("gate.copy_from_not_allowed", instruction.line) in found
            seen["copy_from"] = seen.get("copy_from", 0) + 1
        if instruction.name == "ADD" and stopped_here:
            fetched = re.search(r'Get "([^"]+)"', result.error)
            if fetched:
                seen["url"] = True
                assert found & {("gate.add_url", instruction.line), ("gate.add_unresolved", instruction.line)}, (
                    result.error
                )
                expansion = instruction.expanded[0]
                assert expansion.text == fetched[1], (expansion.text, fetched[1])
            elif "failed to process" in result.error:
                assert instruction.error and ("gate.bad_substitution", instruction.line) in found
                assert instruction.error in result.error
            else:
                assert "build context" in result.error, result.error  # a local path: missing or outside
                assert not re.match(r"https?://", instruction.expanded[0].text)
    return seen


def _names(stage: Stage, reference: str) -> bool:
    from labs.grading.shell_words import go_lower

    return stage.alias == go_lower(reference) or (
        re.fullmatch(r"[+-]?\d+", reference) is not None and int(reference) == stage.index
    )


def _marker_name(markers: dict, reference: str) -> str:
    return next(name for name, (tag, _) in markers.items() if tag == reference)


def test_generated_dockerfiles_read_the_same_by_gate_and_daemon(daemon):
    rng = random.Random(SEED)
    seen = []
    for number in range(CASES):
        case = generate(rng, daemon["markers"], number)
        try:
            seen.append(compare(daemon, case))
        except AssertionError as exc:
            raise AssertionError(f"case {number}: {case.text!r}\n{exc}") from exc
    # The corpus exercised what it is for: URLs fetched, local files, stages, refusals.
    assert sum(s.get("url", False) for s in seen) >= 5
    assert sum(s.get("copy_from", 0) for s in seen) >= 5
    assert sum(s["refused"] for s in seen) >= 10 and sum(not s["refused"] for s in seen) >= 5
