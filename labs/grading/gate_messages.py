"""The static gate's messages: message id -> English text, translated through the project's catalogue.

The gate refuses BuildKit-only syntax by saying that this lab builds with the classic builder
of Docker 20.10 (no BuildKit); each message spells that out whole, so it translates as one text.
"""

from common.i18n import gettext_noop

MESSAGES = {
    "gate.empty": gettext_noop("The Dockerfile is empty: start with a FROM instruction (e.g. FROM python:3.11-slim)."),
    "gate.too_many_bytes": gettext_noop(
        "The Dockerfile has {size} bytes; the limit is {max} bytes. Send only the Dockerfile, without "
        "pasting other files into it."
    ),
    "gate.too_many_lines": gettext_noop("The Dockerfile has {lines} lines; the limit is {max} lines."),
    "gate.binary": gettext_noop(
        "Line {line}: the file contains control bytes (such as NUL) and does not look like a text "
        "Dockerfile. Send the Dockerfile as plain text."
    ),
    "gate.not_utf8": gettext_noop(
        "Line {line}: the Dockerfile is not UTF-8. Save the file with UTF-8 encoding and send it again."
    ),
    "gate.unreadable": gettext_noop(
        "This Dockerfile could not be read ({error}). Check that it is a valid text Dockerfile."
    ),
    "gate.no_from": gettext_noop(
        "No FROM instruction found: every Dockerfile starts by choosing the base image (e.g. FROM python:3.11-slim)."
    ),
    "gate.before_from": gettext_noop(
        "Line {line}: the {instruction} instruction comes before the first FROM; only ARG may come before FROM."
    ),
    "gate.from_not_allowed": gettext_noop(
        "Line {line}: the base image {image} is not available in this lab (the build downloads no images). "
        "Use one of: {allowed}."
    ),
    "gate.from_unresolved": gettext_noop(
        "Line {line}: in FROM {image}, the variable {variables} has no value. Declare it with a default "
        "before the first FROM (e.g. ARG PY=3.11-slim)."
    ),
    "gate.from_invalid": gettext_noop(
        "Line {line}: '{image}' is not a valid image reference (e.g. FROM python:3.11-slim)."
    ),
    "gate.from_digest_only": gettext_noop(
        "Line {line}: FROM {image} names the image by digest only; use one of the allowed tags: {allowed}."
    ),
    "gate.from_platform": gettext_noop(
        "Line {line}: FROM --platform is not accepted here: the sandbox only has the images prepared for "
        "this machine. Remove the --platform option."
    ),
    "gate.add_url": gettext_noop(
        "Line {line}: ADD with a URL ({source}) is not allowed: the build runs without network. Put the file "
        "in the build context and use COPY."
    ),
    "gate.source_outside_context": gettext_noop(
        "Line {line}: {instruction} {source} points outside the build context. Use paths relative to the "
        "project, with no leading '/' and no '..'."
    ),
    "gate.copy_needs_destination": gettext_noop(
        "Line {line}: '{instruction} {value}' needs a source and a destination, e.g. {instruction} . /app "
        "(or {instruction} . . after WORKDIR /app)."
    ),
    "gate.copy_from_not_allowed": gettext_noop(
        "Line {line}: COPY --from={source} is neither an earlier stage of this Dockerfile nor an allowed "
        "image ({allowed}). Name the stage (FROM ... AS builder) and use COPY --from=builder."
    ),
    "gate.buildkit_directive": gettext_noop(
        "Line {line}: the '# syntax=' directive asks for a BuildKit frontend, but this lab builds with the "
        "classic builder of Docker 20.10 (no BuildKit). Remove that line."
    ),
    "gate.buildkit_flag": gettext_noop(
        "Line {line}: '{instruction} {flag}' only works with BuildKit, and this lab builds with the classic "
        "builder of Docker 20.10 (no BuildKit). Remove the {flag} option."
    ),
    "gate.buildkit_chmod": gettext_noop(
        "Line {line}: '{instruction} --chmod' only works with BuildKit, and this lab builds with the classic "
        "builder of Docker 20.10 (no BuildKit). Remove --chmod and set permissions with RUN chmod after the "
        "{instruction}."
    ),
    "gate.heredoc": gettext_noop(
        "Line {line}: a heredoc ({marker}) in {instruction} only works with BuildKit, and this lab builds "
        "with the classic builder of Docker 20.10 (no BuildKit). Chain the commands with && (breaking lines "
        "with \\) or copy a file from the context."
    ),
    "gate.parse_error": gettext_noop(
        "Line {line}: Docker cannot read this Dockerfile ({error}). Check the instruction on that line."
    ),
    "gate.stray_carriage_return": gettext_noop(
        "Line {line}: there is a lone carriage return (CR), outside a CRLF line end; Docker versions read "
        "that line differently. Save the file with LF (or CRLF) line ends."
    ),
    "gate.bad_substitution": gettext_noop(
        "Line {line}: Docker cannot expand the variables of '{instruction}' ({error}). Use $NAME, ${{NAME}}, "
        "${{NAME:-default}} or ${{NAME:+alternative}}, and close the quotes."
    ),
    "gate.add_unresolved": gettext_noop(
        "Line {line}: the ADD source ({source}) depends on a variable whose value is only known at build "
        "time (it may come from the base image). Write the literal path of the context file, preferably with "
        "COPY."
    ),
    "gate.unknown_instruction": gettext_noop(
        "Line {line}: '{instruction}' is not a Dockerfile instruction. Check the spelling (e.g. RUN, COPY, "
        "WORKDIR, CMD)."
    ),
    "gate.from_syntax": gettext_noop(
        "Line {line}: '{value}' is not a valid FROM. Write FROM image or FROM image AS name, with a name "
        "that starts with a letter and uses only a-z, 0-9, '-', '_' and '.'."
    ),
    "gate.stage_name_used": gettext_noop(
        "Line {line}: the stage name '{name}' is already used by an earlier FROM. Give each stage a different name."
    ),
}
