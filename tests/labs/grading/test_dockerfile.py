import time

import pytest

from labs.grading import dockerfile
from labs.grading.dockerfile import gate, parse
from labs.grading.i18n import known, t

from .dockerfiles import BEST, BEST_BASES, LESSON, LESSON_BASES

ALLOWED = ["python:3.11-slim"]


def ids(findings):
    return [f.message_id for f in findings]


def rejected(text: str, allowed=ALLOWED) -> list:
    return gate(text.encode(), allowed_bases=allowed)


# -- parse -------------------------------------------------------------------------------


def test_parse_lists_instructions_with_lines_names_values_and_exec_form():
    parsed = parse(LESSON)
    assert [(i.line, i.name) for i in parsed.instructions] == [
        (2, "FROM"),
        (5, "WORKDIR"),
        (8, "COPY"),
        (11, "RUN"),
        (17, "COPY"),
        (20, "EXPOSE"),
        (24, "CMD"),
    ]
    cmd = parsed.instructions[-1]
    assert cmd.is_json and cmd.args == ("gunicorn", "--bind", "0.0.0.0:5000", "app:app")
    assert cmd.value == '["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]'
    assert not parsed.instructions[3].is_json
    assert parsed.comments == 10
    assert len(parsed.stages) == 1 and parsed.stages[0].image == "python:3.9-slim-buster"


def test_parse_joins_continuation_lines_and_keeps_the_start_line():
    parsed = parse("FROM python:3.11-slim\nRUN apt-get update \\\n    # a comment inside\n    && echo ok\nCMD x\n")
    run = parsed.instructions[1]
    assert (run.line, run.end_line) == (2, 4)
    assert "apt-get update" in run.value and "echo ok" in run.value
    assert parsed.instructions[2].line == 5


def test_parse_resolves_global_args_in_from_and_tracks_stage_aliases():
    parsed = parse(BEST)
    builder, final = parsed.stages
    assert builder.raw_image == "python:${PY}" and builder.image == "python:3.11-slim" and builder.alias == "builder"
    assert final.alias is None and final.parent is None
    assert parsed.meta_args == {"PY": "3.11-slim"}
    assert all(i.stage == 1 for i in final.instructions)


def test_parse_follows_from_an_earlier_stage():
    parsed = parse("FROM python:3.11-slim AS Base\nWORKDIR /app\nFROM base\nCOPY . .\n")
    assert parsed.stages[1].parent == 0
    assert parsed.base_of(parsed.stages[1]).image == "python:3.11-slim"


def test_parse_reads_flags_and_parser_directives():
    parsed = parse(
        "# syntax=docker/dockerfile:1\n# escape=\\\nFROM python:3.11-slim\nCOPY --from=builder --chown=1000:1000 /a /b\n"
    )
    assert parsed.directives == {"syntax": ("docker/dockerfile:1", 1), "escape": ("\\", 2)}
    assert parsed.comments == 0  # directives are not comments
    copy = parsed.instructions[1]
    assert copy.flags == {"from": "builder", "chown": "1000:1000"} and copy.args == ("/a", "/b")


# -- gate: accepted ----------------------------------------------------------------------


def test_gate_accepts_the_lesson_dockerfile_and_the_best_practice_one():
    assert gate(LESSON.encode(), allowed_bases=LESSON_BASES) == []
    assert gate(BEST.encode(), allowed_bases=BEST_BASES) == []


@pytest.mark.parametrize(
    "image", ["python:3.11-slim", "docker.io/library/python:3.11-slim", "library/python:3.11-slim"]
)
def test_gate_compares_normalized_references(image):
    assert rejected(f"FROM {image}\n", allowed=["docker.io/library/python:3.11-slim"]) == []


def test_gate_accepts_a_later_from_naming_an_earlier_stage_and_copy_from_stages():
    text = "FROM python:3.11-slim AS builder\nRUN echo\nFROM builder AS test\nFROM python:3.11-slim\nCOPY --from=builder /a /a\nCOPY --from=0 /b /b\nCOPY --from=python:3.11-slim /c /c\n"
    assert rejected(text) == []


def test_gate_treats_a_digest_by_its_tag():
    assert rejected("FROM python:3.11-slim@sha256:" + "a" * 64 + "\n") == []


def test_gate_accepts_scratch_only_when_listed():
    assert ids(rejected("FROM scratch\n")) == ["gate.from_not_allowed"]
    assert rejected("FROM scratch\n", allowed=["scratch"]) == []


def test_gate_is_not_fooled_by_look_alikes():
    assert rejected("FROM python:3.11-slim\n# syntax=docker/dockerfile:1\n") == []  # a comment, not a directive
    assert rejected("FROM python:3.11-slim\nRUN echo $((1<<3)) && cat <<< hi\n") == []  # shift and here-string
    assert rejected("FROM python:3.11-slim\nCOPY ./src/../app.py .\n") == []  # stays inside the context


# -- gate: rejections ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"  \n\n\t\n", b"# only a comment\n"])
def test_gate_rejects_an_empty_dockerfile(raw):
    assert ids(gate(raw, allowed_bases=ALLOWED)) == ["gate.empty"]


def test_gate_rejects_too_many_bytes():
    findings = gate(b"FROM python:3.11-slim\n" + b"# padding\n" * 10_000, allowed_bases=ALLOWED, max_bytes=64_000)
    assert ids(findings) == ["gate.too_many_bytes"] and findings[0].params["max"] == 64_000


def test_gate_rejects_a_10000_line_dockerfile_fast():
    raw = b"FROM python:3.11-slim\n" + b"#\n" * 10_000  # small enough in bytes, too long in lines
    started = time.perf_counter()
    findings = gate(raw, allowed_bases=ALLOWED)
    assert time.perf_counter() - started < 0.05
    assert ids(findings) == ["gate.too_many_lines"]
    assert findings[0].params == {"lines": 10_001, "max": 1000}


def test_gate_rejects_binary_junk_with_the_line():
    findings = gate(b"FROM python:3.11-slim\nRUN echo\n\x7fELF\x02\x01\x00\x00junk", allowed_bases=ALLOWED)
    assert ids(findings) == ["gate.binary"] and findings[0].line == 3


def test_gate_rejects_control_characters():
    assert ids(gate(b"FROM python:3.11-slim\nRUN echo \x1b[31m\n", allowed_bases=ALLOWED)) == ["gate.binary"]


def test_gate_rejects_text_that_is_not_utf8():
    findings = gate("FROM python:3.11-slim\n# não é UTF-8\n".encode("latin-1"), allowed_bases=ALLOWED)
    assert ids(findings) == ["gate.not_utf8"] and findings[0].line == 2


def test_gate_rejects_a_dockerfile_without_from():
    assert ids(rejected("# receita\nRUN echo hi\n")) == ["gate.no_from"]


def test_gate_rejects_instructions_before_from_except_arg():
    findings = rejected("ARG PY=3.11-slim\nWORKDIR /app\nFROM python:${PY}\n")
    assert ids(findings) == ["gate.before_from"] and findings[0].line == 2


def test_gate_rejects_a_base_outside_the_allowlist_and_names_it():
    findings = rejected("FROM python:3.11-slim\nRUN echo\nFROM ubuntu:22.04\n")
    assert ids(findings) == ["gate.from_not_allowed"]
    assert findings[0].line == 3 and findings[0].params["image"] == "ubuntu:22.04"
    assert "python:3.11-slim" in t("gate.from_not_allowed", "pt-BR", **findings[0].params)


@pytest.mark.parametrize("image", ["python:3.12-slim", "python", "python:latest", "ghcr.io/library/python:3.11-slim"])
def test_gate_rejects_other_tags_and_registries(image):
    assert ids(rejected(f"FROM {image}\n")) == ["gate.from_not_allowed"]


def test_gate_resolves_arg_defaults_before_checking_the_allowlist():
    assert rejected("ARG PY=3.11-slim\nFROM python:${PY}\n") == []
    assert ids(rejected("ARG PY=3.12\nFROM python:$PY\n")) == ["gate.from_not_allowed"]


@pytest.mark.parametrize("text", ["FROM python:${PY}\n", "ARG PY\nFROM python:${PY}\n", "FROM $IMAGE\n"])
def test_gate_rejects_an_unresolvable_variable_in_from(text):
    findings = rejected(text)
    assert ids(findings) == ["gate.from_unresolved"]
    assert findings[0].line == text.count("\n")


def test_gate_rejects_a_digest_without_a_tag():
    assert ids(rejected("FROM python@sha256:" + "a" * 64 + "\n")) == ["gate.from_digest_only"]


def test_gate_rejects_an_invalid_reference_and_platform():
    assert ids(rejected("FROM Python:3.11\n")) == ["gate.from_invalid"]
    assert ids(rejected("FROM --platform=linux/arm64 python:3.11-slim\n")) == ["gate.from_platform"]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/m.pkl",
        "https://example.com/m.tgz",
        "git@github.com:o/r.git",
        "ftp://example.com/x",
        "HTTPS://EXAMPLE.COM/X",
    ],
)
def test_gate_rejects_add_with_a_url(url):
    findings = rejected(f"FROM python:3.11-slim\nADD {url} /app/\n")
    assert ids(findings) == ["gate.add_url"] and findings[0].line == 2 and findings[0].params["source"] == url


def test_gate_rejects_add_url_in_exec_form():
    assert ids(rejected('FROM python:3.11-slim\nADD ["https://example.com/x", "/x"]\n')) == ["gate.add_url"]


@pytest.mark.parametrize("source", ["../x", "../../etc/passwd", "a/../../x", "/etc/passwd", "/app"])
def test_gate_rejects_sources_outside_the_context(source):
    findings = rejected(f"FROM python:3.11-slim\nCOPY {source} /app/\n")
    assert ids(findings) == ["gate.source_outside_context"]
    assert findings[0].params["source"] == source and findings[0].line == 2


def test_gate_rejects_copy_from_an_image_that_is_not_allowed():
    findings = rejected("FROM python:3.11-slim\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\n")
    assert ids(findings) == ["gate.copy_from_not_allowed"]
    assert ids(rejected("FROM python:3.11-slim\nCOPY --from=1 /a /a\nFROM python:3.11-slim AS late\n")) == [
        "gate.copy_from_not_allowed"
    ]


def test_gate_rejects_copy_without_destination_as_the_lesson_typo_shows():
    findings = rejected("FROM python:3.11-slim\nCOPY ./app\n")
    assert ids(findings) == ["gate.copy_needs_destination"]


@pytest.mark.parametrize(
    "instruction, message_id, flag",
    [
        ("RUN --mount=type=cache,target=/root/.cache pip install flask", "gate.buildkit_flag", "--mount"),
        ("RUN --network=host pip install flask", "gate.buildkit_flag", "--network"),
        ("RUN --security=insecure echo", "gate.buildkit_flag", "--security"),
        ("COPY --link app.py .", "gate.buildkit_flag", "--link"),
        ("COPY --chmod=755 app.py .", "gate.buildkit_chmod", "--chmod"),
        ("ADD --chmod=644 app.py .", "gate.buildkit_chmod", "--chmod"),
    ],
)
def test_gate_rejects_buildkit_only_flags(instruction, message_id, flag):
    findings = rejected(f"FROM python:3.11-slim\n{instruction}\n")
    assert ids(findings) == [message_id] and findings[0].params["flag"] == flag and findings[0].line == 2
    assert "BuildKit" in t(message_id, "pt-BR", **findings[0].params)
    assert "Docker 20.10" in t(message_id, "en", **findings[0].params)


@pytest.mark.parametrize(
    "heredoc",
    ["RUN <<EOF\npip install flask\nEOF", "COPY <<EOF /app/config.ini\n[x]\nEOF", "RUN cat <<-'END' > /a\nx\nEND"],
)
def test_gate_rejects_heredocs(heredoc):
    findings = rejected(f"FROM python:3.11-slim\n{heredoc}\n")
    assert "gate.heredoc" in ids(findings) and findings[0].line == 2


def test_gate_rejects_the_syntax_directive():
    findings = rejected("# syntax=docker/dockerfile:1.4\nFROM python:3.11-slim\n")
    assert ids(findings) == ["gate.buildkit_directive"] and findings[0].line == 1


def test_gate_reports_every_problem_with_its_line():
    findings = rejected(
        "FROM python:3.11-slim\nADD https://x.org/a /a\nCOPY ../b /b\nRUN --mount=type=cache,target=/c echo\n"
    )
    assert [(f.message_id, f.line) for f in findings] == [
        ("gate.add_url", 2),
        ("gate.source_outside_context", 3),
        ("gate.buildkit_flag", 4),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbfFROM python:3.11-slim\n",  # a byte-order mark is fine
        b"FROM\n",
        b"FROM python:3.11-slim AS\n",
        b"COPY\n",
        b"FROM python:3.11-slim\nCOPY --from= a b\n",
        b'FROM python:3.11-slim\nCMD ["unterminated\n',
        b"\\\\\\\n" * 50,
        b"FROM ${\n",
        b"FROM python:3.11-slim\nENV A='b\n",
        "FROM python:3.11-slim\nRUN echo \u2028 \u00e9\n".encode(),
        b"FROM " + b"a" * 60_000,
    ],
)
def test_gate_never_crashes_on_hostile_text(raw):
    for finding in gate(raw, allowed_bases=ALLOWED):
        assert known(finding.message_id)
        t(finding.message_id, "pt-BR", **finding.params)


def test_gate_turns_an_unexpected_parser_error_into_a_rejection(monkeypatch):
    def explode(text):
        raise RecursionError("boom")

    monkeypatch.setattr(dockerfile, "parse", explode)
    findings = gate(b"FROM python:3.11-slim\n", allowed_bases=ALLOWED)
    assert ids(findings) == ["gate.unreadable"] and findings[0].params == {"error": "RecursionError"}


def test_gate_messages_name_the_line_in_both_languages():
    finding = rejected("FROM python:3.11-slim\nADD https://example.com/modelo.pkl /app/\n")[0]
    assert t(finding.message_id, "pt-BR", **finding.params).startswith(
        "Linha 2: ADD com URL (https://example.com/modelo.pkl)"
    )
    assert t(finding.message_id, "en", **finding.params).startswith(
        "Line 2: ADD with a URL (https://example.com/modelo.pkl)"
    )


# -- reading the file as Docker 20.10 does ------------------------------------------------

UNICODE_SPACES = ["\u00a0", "\u2000", "\u2005", "\u200a", "\u3000", "\u202f", "\u205f", "\u1680", "\x85"]


@pytest.mark.parametrize("space", UNICODE_SPACES + ["\v", "\f"])
def test_a_unicode_space_after_the_escape_ends_the_line_as_in_docker(space):
    # dockerfile-parse read `\<NBSP>` as a continuation and hid the next FROM from the gate.
    text = f"FROM python:3.11-slim\nRUN echo x \\{space}\nFROM python:3.11\n"
    parsed = parse(text)
    assert [s.image for s in parsed.stages] == ["python:3.11-slim", "python:3.11"]
    assert ids(rejected(text)) == ["gate.from_not_allowed"]


@pytest.mark.parametrize("space", [" ", "\t", " \t "])
def test_blanks_after_the_escape_still_continue_the_line(space):
    parsed = parse(f"FROM python:3.11-slim\nRUN echo x \\{space}\nFROM python:3.11\n")
    assert len(parsed.stages) == 1 and parsed.instructions[1].original == "RUN echo x FROM python:3.11"


def test_the_escape_directive_moves_the_continuation_to_the_backtick():
    text = "# escape=`\nFROM python:3.11-slim\nRUN echo x \\\nFROM python:3.11\nRUN echo y `\n  && echo z\n"
    parsed = parse(text)
    assert parsed.escape == "`" and [s.image for s in parsed.stages] == ["python:3.11-slim", "python:3.11"]
    assert parsed.instructions[-1].original == "RUN echo y   && echo z"
    assert ids(rejected(text)) == ["gate.from_not_allowed"]


def test_comments_and_empty_lines_inside_a_continuation_are_skipped():
    parsed = parse("FROM python:3.11-slim\nRUN echo a \\\n# comentário\n\n  && echo b\nCMD x\n")
    assert [i.name for i in parsed.instructions] == ["FROM", "RUN", "CMD"]
    assert parsed.instructions[1].original == "RUN echo a   && echo b"


def test_crlf_and_a_bom_read_as_docker_reads_them():
    parsed = parse("\ufeffFROM python:3.11-slim\r\nRUN echo a \\\r\n  && echo b\r\nCMD x\r\n")
    assert [i.name for i in parsed.instructions] == ["FROM", "RUN", "CMD"]
    assert rejected("\ufeffFROM python:3.11-slim\r\nCMD x\r\n") == []


@pytest.mark.parametrize(
    "text",
    ["FROM python:3.11-slim\nRUN echo x \\\r\r\nFROM python:3.11\n", "FROM python:3.11-slim\rFROM python:3.11\n"],
)
def test_a_lone_carriage_return_is_refused(text):
    # Docker 20.10 keeps a second CR before the line end; the newer parser drops it, so
    # `\<CR><CR>` continues the line for one and ends it for the other.
    findings = rejected(text)
    assert ids(findings) == ["gate.stray_carriage_return"]
    assert t("gate.stray_carriage_return", "en", **findings[0].params).startswith(
        "Line 1" if "\rF" in text else "Line 2"
    )


@pytest.mark.parametrize(
    "text, line",
    [
        ("# escape=x\nFROM python:3.11-slim\n", 1),
        ("# escape=\\\n# escape=`\nFROM python:3.11-slim\n", 2),
        ('FROM python:3.11-slim\nRUN true\nCMD ["echo", 1]\n', 3),
        ("FROM python:3.11-slim\nENV SOZINHA\n", 2),
    ],
)
def test_docker_parse_errors_become_readable_rejections(text, line):
    findings = rejected(text)
    assert ids(findings) == ["gate.parse_error"] and findings[0].line == line
    assert t("gate.parse_error", "pt-BR", **findings[0].params).startswith(f"Linha {line}: o Docker não consegue ler")


def test_an_unterminated_heredoc_is_a_heredoc_rejection():
    findings = rejected("FROM python:3.11-slim\nRUN true\nRUN <<EOF\necho x\n")
    assert ids(findings) == ["gate.heredoc"] and findings[0].line == 3


def test_a_heredoc_hides_nothing():
    # BuildKit would read the FROM below as heredoc text; Docker 20.10 builds it.
    findings = rejected("FROM python:3.11-slim\nRUN cat <<EOT\nFROM python:3.11\nEOT\n")
    assert ids(findings) == ["gate.heredoc"] and findings[0].line == 2


def test_unknown_instructions_and_bad_from_lines_are_refused():
    assert ids(rejected("FROM python:3.11-slim\nRUNN echo\n")) == ["gate.unknown_instruction"]
    assert ids(rejected("FROM python:3.11-slim AS\n")) == ["gate.from_syntax"]
    assert ids(rejected("FROM python:3.11-slim x y\n")) == ["gate.from_syntax"]
    assert ids(rejected("FROM python:3.11-slim AS 1st\n")) == ["gate.from_syntax"]
    assert ids(rejected("FROM python:3.11-slim AS a\nFROM python:3.11-slim AS A\n")) == ["gate.stage_name_used"]


@pytest.mark.parametrize(
    "text",
    [
        "ARG U=http://127.0.0.1:8765/x\nFROM python:3.11-slim\nARG U\nADD $U /m\n",
        "FROM python:3.11-slim\nARG U=http://127.0.0.1:8765/x\nADD $U /m\n",
        "FROM python:3.11-slim\nARG U=http://127.0.0.1:8765/x\nADD ${U} /m\n",
        "FROM python:3.11-slim\nENV U=http://127.0.0.1:8765/x\nADD ${U} /m\n",
        "FROM python:3.11-slim\nENV U http://127.0.0.1:8765/x\nADD $U /m\n",
        'FROM python:3.11-slim\nADD "http://127.0.0.1:8765/x" /m\n',
        "FROM python:3.11-slim\nADD 'http://127.0.0.1:8765/x' /m\n",
        'FROM python:3.11-slim\nADD h"ttp"://127.0.0.1:8765/x /m\n',
        'FROM python:3.11-slim\nADD ["http://127.0.0.1:8765/x", "/m"]\n',
        'FROM python:3.11-slim\nADD ["\\"http://127.0.0.1:8765/x\\"", "/m"]\n',
        'FROM python:3.11-slim\nARG U=http://127.0.0.1:8765/x\nADD ["$U", "/m"]\n',
        "FROM python:3.11-slim\nARG H=http ARG P=://127.0.0.1:8765/x\nADD $H$P /m\n",
        "FROM python:3.11-slim\nARG H=http\nARG P=://127.0.0.1:8765/x\nADD ${H}${P} /m\n",
        "FROM python:3.11-slim\nARG U\nADD ${U:-http://127.0.0.1:8765/x} /m\n",
        "FROM python:3.11-slim\nARG U=1\nADD ${U:+http://127.0.0.1:8765/x} /m\n",
        "FROM python:3.11-slim\nADD \ufeffhttp://127.0.0.1:8765/x /m\n",
        "FROM python:3.11-slim\nADD HTTP://127.0.0.1:8765/x /m\n",
        "# escape=`\nFROM python:3.11-slim\nARG U=http://127.0.0.1:8765/x\nADD `\n  $U /m\n",
        "FROM python:3.11-slim\nADD --chown=1 http://127.0.0.1:8765/x /m\n",
        "FROM python:3.11-slim\nADD local.txt http://127.0.0.1:8765/x /m/\n",
    ],
)
def test_gate_rejects_every_spelling_of_an_add_url(text):
    findings = rejected(text)
    assert ids(findings) == ["gate.add_url"], findings
    assert findings[0].params["source"].lower().startswith("http://127.0.0.1:8765/x")


def test_the_add_url_message_names_the_url_the_builder_would_fetch():
    finding = rejected("FROM python:3.11-slim\nARG U=http://127.0.0.1:8765/x\nADD $U /m\n")[0]
    assert "http://127.0.0.1:8765/x" in t(finding.message_id, "pt-BR", **finding.params)


@pytest.mark.parametrize("source", ["$PATH", "${PYTHON_VERSION}", "${X:-app.tgz}", "$ARG_ONLY"])
def test_an_add_source_the_base_image_could_change_is_refused(source):
    findings = rejected(f"FROM python:3.11-slim\nARG ARG_ONLY=app.tgz\nADD {source} /m\n")
    assert ids(findings) == ["gate.add_unresolved"] and findings[0].params["source"] == source
    assert "literal" in t("gate.add_unresolved", "en", **findings[0].params)


def test_an_add_source_from_known_values_passes():
    assert rejected("FROM python:3.11-slim\nENV F=app.tgz\nADD $F /m\n") == []
    assert rejected('FROM python:3.11-slim\nADD "app.tgz" /m\n') == []
    assert rejected("FROM scratch\nARG F=app.tgz\nADD $F /m\n", allowed=["scratch"]) == []


@pytest.mark.parametrize(
    "text",
    [
        "FROM python:3.11-slim\nADD ${U-x} /m\n",
        'FROM python:3.11-slim\nCOPY "a /b\n',
        "FROM python:3.11-slim\nENV A=${B:=c}\n",
    ],
)
def test_words_the_builder_cannot_expand_are_refused(text):
    findings = rejected(text)
    assert ids(findings) == ["gate.bad_substitution"]
    assert t("gate.bad_substitution", "en", **findings[0].params).startswith("Line 2: Docker cannot expand")


def test_from_is_expanded_with_quotes_and_defaults_as_docker_does():
    assert rejected('FROM "python:3.11-slim"\n') == []
    assert rejected("ARG V\nFROM python:${V:-3.11-slim}\n") == []
    assert ids(rejected("ARG V=3.11\nFROM 'python:'$V\n")) == ["gate.from_not_allowed"]
    assert ids(rejected("FROM python:${V-3.11-slim}\n")) == ["gate.bad_substitution"]


def test_copy_from_matches_stages_as_docker_does():
    base = "FROM python:3.11-slim AS Build\nFROM python:3.11-slim\n"
    assert rejected(base + "COPY --from=BUILD /a /a\n") == []
    assert rejected(base + "COPY --from=+0 /a /a\n") == []
    assert rejected(base + "COPY --from=00 /a /a\n") == []
    for source in [
        "1",
        "-1",
        "\u0661",
        "$S",
        "${S}",
        "estaleiro-sub/sub-12:latest",
        "estaleiro-lab/otimizar-imagem-starter:latest",
        "4a21d8278e40",
    ]:
        assert ids(rejected(base + "ARG S=build\n" + f"COPY --from={source} /a /a\n")) == [
            "gate.copy_from_not_allowed"
        ], source


def test_every_from_flag_is_checked():
    text = "FROM python:3.11-slim AS b\nFROM python:3.11-slim\nCOPY --from=b --from=nginx:1 /a /a\n"
    assert ids(rejected(text)) == ["gate.copy_from_not_allowed"]
    assert ids(rejected("FROM python:3.11-slim\nCOPY --FROM=nginx:1 /a /a\n")) == ["gate.copy_from_not_allowed"]


def test_a_stage_from_scratch_has_the_builders_default_path_and_nothing_else():
    parsed = parse("FROM scratch\nADD $PATH$HOME x\n")
    assert parsed.instructions[1].expanded[0].text == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert parsed.instructions[1].expanded[0].certain
