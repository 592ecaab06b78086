"""Messages of the runner's own checks (build, metadata, http, command, file, image size).

Each message id (data in findings and reports) maps to its English text, marked for the
project's catalogue; the Portuguese is in `locale/pt_BR/LC_MESSAGES/django.po`.
"""

from common.i18n import gettext_noop

MESSAGES = {
    "gate.no_dockerfile": gettext_noop(
        "No Dockerfile was submitted: the file must be named exactly 'Dockerfile', at the root of the context."
    ),
    "build.passed": gettext_noop("The image was built successfully."),
    "build.failed": gettext_noop("The image build failed at: {step}. {reason}"),
    "check.skipped_build": gettext_noop("Not checked: the image was not built."),
    "check.skipped_container": gettext_noop("Not checked: the container did not stay running."),
    "container.exited": gettext_noop("The container stopped right after starting. Last log lines:\n{logs}"),
    "metadata.passed": gettext_noop("The image metadata is as expected."),
    "metadata.user_root": gettext_noop(
        "The image runs as root (USER '{user}'). Create a non-root user and use the USER instruction."
    ),
    "metadata.port_missing": gettext_noop(
        "Port {port} is not exposed by the image (EXPOSE {port}). Exposed ports: {found}."
    ),
    "metadata.port_yours": gettext_noop(
        "Your port is {port} (drawn for you); the image exposes {found}. Write EXPOSE {port}."
    ),
    "metadata.user": gettext_noop("The image runs as the user {found}; expected {expected} (USER {expected})."),
    "metadata.user_yours": gettext_noop(
        "Your user is {expected} (drawn for you); the image runs as {found}. Create {expected} and write USER "
        "{expected}."
    ),
    "metadata.cmd_missing": gettext_noop(
        "The start command (CMD/ENTRYPOINT) does not contain '{word}'. Found: {found}."
    ),
    "metadata.workdir": gettext_noop("The working directory is '{found}', expected '{expected}' (WORKDIR)."),
    "metadata.env": gettext_noop("The environment variable {name} should be '{expected}', but is '{found}'."),
    "metadata.label": gettext_noop("The image lacks the label (LABEL) '{name}'."),
    "metadata.healthcheck": gettext_noop("The image declares no HEALTHCHECK."),
    "http.passed": gettext_noop("{method} {path} on port {port} answered {status} as expected."),
    "http.no_answer": gettext_noop(
        "Nothing answered {method} {path} on port {port} after {seconds} s. Does the app listen on 0.0.0.0:{port}?"
    ),
    "http.other_port": gettext_noop(
        "Nothing answered {method} {path} on port {port} after {seconds} s. Line {line}: {instruction} starts the "
        "app on port {bound}; make it listen on 0.0.0.0:{port}."
    ),
    "http.other_port_yours": gettext_noop(
        "Your port is {port} (drawn for you): nothing answered {method} {path} on it after {seconds} s. Line "
        "{line}: {instruction} starts the app on port {bound}; make it listen on 0.0.0.0:{port}."
    ),
    "http.status": gettext_noop("{method} {path} answered {got}, expected {expected}."),
    "http.not_json": gettext_noop("{method} {path} did not answer valid JSON."),
    "http.json_key": gettext_noop("The JSON answer of {path} lacks the key '{key}'."),
    "http.json_value": gettext_noop("In the answer of {path}, '{key}' is {found}, expected {expected}."),
    "http.regex": gettext_noop("The answer of {path} lacks the expected text ({pattern})."),
    "command.passed": gettext_noop("The command '{command}' ended as expected."),
    "command.exit": gettext_noop("The command '{command}' exited with code {got}, expected {expected}."),
    "command.timeout": gettext_noop("The command '{command}' did not finish within {seconds} s."),
    "command.regex": gettext_noop("The output of '{command}' lacks what was expected ({pattern})."),
    "command.reject": gettext_noop("The output of '{command}' contains what it should not ({pattern})."),
    "file.passed": gettext_noop("The file {path} is as expected."),
    "file.missing": gettext_noop("The file {path} does not exist in the image."),
    "file.present": gettext_noop(
        "The file {path} should not be in the image (use .dockerignore or a multi-stage build)."
    ),
    "file.regex": gettext_noop("The file {path} lacks what was expected ({pattern})."),
    "image_size.passed": gettext_noop("The image adds {added} MB to its base (limit: {limit} MB)."),
    "image_size.failed": gettext_noop(
        "The image adds {added} MB to its base, over the {limit} MB limit. Use --no-cache-dir, .dockerignore "
        "and remove what is not needed."
    ),
    "image_size.starter_passed": gettext_noop(
        "The image is {size} MB, {percent}% of the starting point's {starter} MB (goal: at most {goal}%)."
    ),
    "image_size.starter_failed": gettext_noop(
        "The image is {size} MB, {percent}% of the starting point's {starter} MB; the goal is at most {goal}%."
    ),
    "rules.failed_list": gettext_noop("{count} problem(s): {items}"),
    "summary.passed": gettext_noop("Passed: {score} of {max_score} points."),
    "summary.failed": gettext_noop("Not yet: {score} of {max_score} points. See what to change in each check."),
    "summary.failed_required": gettext_noop(
        "Not yet: the required check '{check}' failed ({score} of {max_score} points)."
    ),
    "summary.rejected": gettext_noop("Submission refused before the build (not counted as an attempt): {reason}"),
    "summary.error": gettext_noop("The platform failed while grading (not your fault; it will be retried)."),
}
