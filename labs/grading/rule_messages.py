"""Messages of the lint phase: the lesson's Dockerfile rules, hadolint and the build context's rules.

Kept apart from the rules themselves so the catalogue can be read (and translated) without
running them. Message id -> English text; the Portuguese is in the project's `.po`.
"""

from common.i18n import gettext_noop

MESSAGES = {
    # rules.py
    "rule.no-from": gettext_noop("The Dockerfile has no FROM, so this rule could not be checked."),
    "rule.slim-base.passed": gettext_noop("Base image {image}: a slim/alpine variant with a pinned tag."),
    "rule.slim-base.failed": gettext_noop(
        "Use a slim or alpine base image with a pinned tag (e.g. python:3.11-slim); found: {image}."
    ),
    "rule.workdir.passed": gettext_noop("WORKDIR is set before the application is copied."),
    "rule.workdir.missing": gettext_noop(
        "Set the working directory with WORKDIR (e.g. WORKDIR /app) before copying the application."
    ),
    "rule.workdir.after-copy": gettext_noop(
        "Line {line}: {instruction} comes before any WORKDIR; put WORKDIR /app before copying files."
    ),
    "rule.deps-before-code.passed": gettext_noop(
        "Dependencies are copied and installed before the code: the layer cache is reused."
    ),
    "rule.deps-before-code.no-install": gettext_noop(
        "No RUN pip install found: install the dependencies with RUN pip install --no-cache-dir -r requirements.txt."
    ),
    "rule.deps-before-code.code-first": gettext_noop(
        "Line {line}: '{copy}' copies the code before pip install (line {install}); any code change redoes "
        "the install. Copy only requirements.txt first, run pip install, then copy the rest (COPY . .)."
    ),
    "rule.deps-before-code.no-requirements-copy": gettext_noop(
        "Line {line}: pip install uses a requirements file that was not copied before it; add COPY "
        "requirements.txt . before it."
    ),
    "rule.pip-no-cache-dir.passed": gettext_noop("Every pip install uses --no-cache-dir."),
    "rule.pip-no-cache-dir.no-pip": gettext_noop("No pip install in the Dockerfile: nothing to check."),
    "rule.pip-no-cache-dir.failed": gettext_noop(
        "Line {line}: '{command}' keeps pip's cache in the image; use pip install --no-cache-dir."
    ),
    "rule.grouped-run.passed": gettext_noop("RUN commands are grouped."),
    "rule.grouped-run.consecutive": gettext_noop(
        "Line {line}: RUN right after another RUN (line {previous}); group the commands in one RUN with && "
        "to reduce layers."
    ),
    "rule.grouped-run.too-many": gettext_noop(
        "Line {line}: the stage has {count} RUN instructions (at most {max}); group commands with &&."
    ),
    "rule.json-cmd.passed": gettext_noop("CMD/ENTRYPOINT in JSON (exec) form."),
    "rule.json-cmd.missing": gettext_noop(
        'Set the container\'s command with CMD in JSON form, e.g. CMD ["gunicorn", "--bind", "0.0.0.0:5000", '
        '"app:app"].'
    ),
    "rule.json-cmd.shell-form": gettext_noop(
        "Line {line}: {instruction} {found} is in shell form; use the JSON form, e.g. {instruction} "
        '["gunicorn", "app:app"], so the process receives stop signals.'
    ),
    "rule.json-cmd.bad-json": gettext_noop(
        "Line {line}: {instruction} {found} looks like JSON but is not valid (use double quotes and commas); "
        "Docker treats it as shell form."
    ),
    "rule.cmd-gunicorn.passed": gettext_noop("The application runs with {server} on 0.0.0.0:{port}."),
    "rule.cmd-gunicorn.no-server": gettext_noop(
        "Line {line}: the container's command does not use {server} (found: {found}); for production use "
        'e.g. CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"].'
    ),
    "rule.cmd-gunicorn.bad-bind": gettext_noop(
        "Line {line}: {server} listens on {found}; make it listen on 0.0.0.0:{port} (on 127.0.0.1 nothing "
        "outside the container reaches it)."
    ),
    "rule.expose.passed": gettext_noop("EXPOSE {port} is declared."),
    "rule.expose.failed": gettext_noop("Declare the application's port with EXPOSE {port} (found: {found})."),
    "rule.non-root-user.passed": gettext_noop("The container runs as the non-root user {user}."),
    "rule.non-root-user.missing": gettext_noop(
        "The container runs as root; create a user (e.g. RUN useradd --create-home appuser) and add USER "
        "appuser after the installs."
    ),
    "rule.non-root-user.root": gettext_noop(
        "Line {line}: USER {user} is still root; use a non-root user created in the Dockerfile."
    ),
    "rule.non-root-user.not-created": gettext_noop(
        "Line {line}: the user {user} is not created in the Dockerfile; add RUN useradd --create-home {user} "
        "before USER {user}."
    ),
    "rule.non-root-user.before-installs": gettext_noop(
        "Line {line}: USER {user} comes before an install (line {install}); install as root and switch user "
        "after the installs."
    ),
    "rule.multi-stage.passed": gettext_noop("Multi-stage build: the final stage copies from {stage}."),
    "rule.multi-stage.single": gettext_noop(
        "The Dockerfile has a single stage; consider a multi-stage build (FROM ... AS builder) to separate "
        "build and runtime."
    ),
    "rule.multi-stage.no-copy-from": gettext_noop(
        "Line {line}: the final stage copies nothing from an earlier stage; use COPY --from=builder to carry "
        "over only what is needed."
    ),
    "rule.no-secrets-in-env.passed": gettext_noop("No hard-coded secret in ENV/ARG."),
    "rule.no-secrets-in-env.failed": gettext_noop(
        "Line {line}: {instruction} {name} stores a secret in the image (anyone with the image can read it); "
        "pass it when running the container (docker run -e {name}=...)."
    ),
    "rule.comments.passed": gettext_noop("The Dockerfile has {found} comment line(s)."),
    "rule.comments.failed": gettext_noop(
        "Add clear comments (# ...) explaining each step: found {found}, at least {min}."
    ),
    "rule.healthcheck.passed": gettext_noop("HEALTHCHECK is defined."),
    "rule.healthcheck.missing": gettext_noop("Add a HEALTHCHECK so Docker knows whether the application answers."),
    "rule.healthcheck.disabled": gettext_noop("Line {line}: HEALTHCHECK NONE turns the check off; define a command."),
    "rule.no-latest-tag.passed": gettext_noop("Every image has a pinned tag."),
    "rule.no-latest-tag.failed": gettext_noop(
        "Line {line}: {image} uses the latest tag (explicit or implied); pin a version (e.g. "
        "python:3.11-slim) for reproducible builds."
    ),
    "rule.no-sudo.passed": gettext_noop("No sudo in RUN commands."),
    "rule.no-sudo.failed": gettext_noop(
        "Line {line}: do not use sudo in a Dockerfile; do the installs before USER, while they still run as root."
    ),
    "rule.apt-cleanup.passed": gettext_noop("apt-get install skips recommended packages and cleans its lists."),
    "rule.apt-cleanup.no-cleanup": gettext_noop(
        "Line {line}: remove the apt lists in the same RUN: ... && rm -rf /var/lib/apt/lists/*."
    ),
    "rule.apt-cleanup.recommends": gettext_noop(
        "Line {line}: use apt-get install --no-install-recommends so unneeded packages are not installed."
    ),
    # hadolint.py
    "hadolint.passed": gettext_noop("hadolint {code}: no problem found."),
    "hadolint.all_passed": gettext_noop("hadolint found no problem for the rules checked: {codes}."),
    "hadolint.failed": gettext_noop("Line {line}: hadolint reports {code}: {message}"),
    "hadolint.unparsable": gettext_noop(
        "Line {line}: hadolint could not read the Dockerfile ({message}), so {code} could not be checked."
    ),
    # context_rules.py
    "context.dockerignore.passed": gettext_noop("The .dockerignore excludes {required}."),
    "context.dockerignore.missing": gettext_noop(
        "The .dockerignore file is missing: create it next to the Dockerfile so the image does not receive "
        "what it does not need ({required})."
    ),
    "context.dockerignore.incomplete": gettext_noop(
        "The .dockerignore does not exclude: {missing}. Add one line for each."
    ),
}
