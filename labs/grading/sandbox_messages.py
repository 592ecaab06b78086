"""Messages the sandbox reports to the learner: refused contexts, failed builds, refused containers.

They live beside the engine rather than the sandbox because the engine formats them (a build's
error id becomes part of its report) and must not import the docker-bound sandbox. The
sandbox raises the ids; message id -> English text, the Portuguese in the project's `.po`.
"""

from common.i18n import gettext_noop

MESSAGES = {
    # labs/sandbox/context.py
    "context.absolute_path": gettext_noop(
        "The path '{path}' is absolute. Send paths relative to the root of the build context."
    ),
    "context.parent_ref": gettext_noop("The path '{path}' uses '..' to leave the build context, which is not allowed."),
    "context.empty_name": gettext_noop("A submitted file has no name."),
    "context.bad_char": gettext_noop("The path '{path}' contains invalid characters (control characters or NUL)."),
    "context.backslash": gettext_noop("The path '{path}' contains '\\'. Use '/' to separate folders."),
    "context.path_too_long": gettext_noop("The path '{path}' is too long (at most {max} bytes)."),
    "context.duplicate": gettext_noop("The file '{path}' was sent more than once."),
    "context.file_dir_conflict": gettext_noop("'{path}' is both a file and a folder in the submitted context."),
    "context.too_many_files": gettext_noop(
        "The context has {count} files; the maximum is {max}. Send only what the image needs."
    ),
    "context.file_too_big": gettext_noop("The file '{path}' is too large (at most {max_mb} MB per file)."),
    "context.too_big": gettext_noop("The build context is too large (at most {max_mb} MB in total)."),
    "context.zip_invalid": gettext_noop("The uploaded .zip file is corrupted or is not a valid zip."),
    "context.zip_empty": gettext_noop("The uploaded .zip file contains no files."),
    "context.zip_symlink": gettext_noop(
        "The zip contains the symbolic link '{path}'. Links are not accepted: send the real file."
    ),
    "context.zip_special": gettext_noop(
        "The zip contains '{path}', which is not a regular file (device, pipe or socket)."
    ),
    "context.zip_encrypted": gettext_noop(
        "The file '{path}' in the zip is password-protected. Send a zip without a password."
    ),
    "context.zip_method": gettext_noop(
        "The file '{path}' in the zip uses the {method} compression method, which is not accepted. Create "
        "the zip with the standard method (deflate) or without compression."
    ),
    "context.zip_bomb": gettext_noop(
        "The zip was refused: the file '{path}' expands far beyond its declared or allowed size."
    ),
    # labs/sandbox/build.py
    "sandbox.build_command_failed": gettext_noop("The command exited with code {code}; see the end of the build log."),
    "sandbox.build_killed": gettext_noop(
        "The command was killed (code {code}), usually for going over the build's {memory_mb} MB memory limit."
    ),
    "sandbox.build_error": gettext_noop("Docker refused this step: {detail}"),
    "sandbox.build_rejected": gettext_noop("Docker refused the Dockerfile: {detail}"),
    "sandbox.build_image_missing": gettext_noop(
        "The requested image does not exist in the grading sandbox, which cannot reach image registries. Use "
        "one of the base images the lab allows (or the right stage name in COPY --from)."
    ),
    "sandbox.build_timeout": gettext_noop(
        "The build went over its {seconds} s limit and was stopped. Some command does not end or is too slow."
    ),
    "sandbox.build_log_limit": gettext_noop(
        "The build wrote more than {max_kb} KB of log and was stopped (log truncated). Make the commands "
        "quieter (for example, pip install -q)."
    ),
    "sandbox.build_disk_limit": gettext_noop(
        "The build wrote {used_mb} MB to disk, more than the {limit_mb} MB this lab allows, and was stopped "
        "at this step. Check whether a command makes huge or needless files (caches, downloads, test data) "
        "and delete them in the same RUN that makes them."
    ),
    "sandbox.build_files_limit": gettext_noop(
        "The build created more than {limit} files, the most this lab allows, and was stopped at this step."
    ),
    "sandbox.build_pids_limit": gettext_noop(
        "The command tried to start more processes or threads than the {limit} this lab allows, and failed. "
        "Check whether some command starts processes without end (a loop, a fork bomb)."
    ),
    "sandbox.build_platform": gettext_noop("The platform failed during the build (not your fault): {detail}"),
    "sandbox.build_image_not_allowed": gettext_noop(
        "The build was stopped: the step '{step}' would use an image that is neither one of the bases this "
        "lab allows ({allowed}) nor an earlier stage of this Dockerfile. The image and the log from that "
        "step on were discarded."
    ),
    # labs/sandbox/run.py
    "sandbox.container_refused": gettext_noop(
        "Docker could not create a container from this image: {detail}. Check VOLUME, USER and WORKDIR."
    ),
    "sandbox.too_many_volumes": gettext_noop(
        "The image declares {count} volumes (VOLUME); the grading sandbox mounts at most {max}. Declare only "
        "the volumes the application needs."
    ),
}
