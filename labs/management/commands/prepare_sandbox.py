import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labs.content import lab_dirs, load_lab
from labs.grading.spec import SpecError
from labs.sandbox.base_images import BaseImageError, forget_superseded, prepare_base
from labs.sandbox.client import SandboxUnavailable, connect


class Command(BaseCommand):
    help = (
        "Make every base image the labs allow present in the sandbox daemon: pulled when a "
        "registry answers, else a stand-in that behaves like the official image, plus an "
        "offline wheelhouse of the labs' packages."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cache-dir", type=Path, default=Path("/var/cache/estaleiro/base-images"))
        parser.add_argument(
            "--tag-prefix",
            default="",
            help="tag the results PREFIX + name (e.g. estaleiro-dev/) instead of the names labs use, "
            "to try a new recipe without touching the images graders use; nothing old is removed then",
        )

    def handle(self, *args, cache_dir: Path, tag_prefix: str, **options):
        started = time.monotonic()
        wanted: dict[str, set[str]] = {}
        try:
            for lab_dir in lab_dirs():
                spec = load_lab(lab_dir).spec
                for base in spec.bases:
                    if base != "scratch":
                        wanted.setdefault(base, set()).update(spec.packages)
        except SpecError as exc:
            raise CommandError(str(exc)) from exc
        if not wanted:
            self.stdout.write("No lab declares a base image; nothing to prepare.")
            return
        try:
            client = connect(settings.SANDBOX_DOCKER_HOST, timeout=900)
        except SandboxUnavailable as exc:
            raise CommandError(f"{exc}. Start it with: sudo sandbox/start.sh") from exc
        say = lambda m: self.stdout.write(f"  {m}")  # noqa: E731
        for name, packages in sorted(wanted.items()):
            begun = time.monotonic()
            try:
                prepared = prepare_base(client, name, sorted(packages), cache_dir, say=say, tag_prefix=tag_prefix)
            except BaseImageError as exc:
                raise CommandError(str(exc)) from exc
            size = client.api.inspect_image(prepared.image_id).get("Size") or 0
            self.stdout.write(
                f"{prepared.tag}: {prepared.source}, {prepared.packages} package(s) offline, "
                f"{size / 1e6:.0f} MB, {prepared.image_id[:19]}, {time.monotonic() - begun:.1f} s"
            )
        if not tag_prefix:
            for item in forget_superseded(client, cache_dir):
                self.stdout.write(f"  removed superseded {item}")
        self.stdout.write(self.style.SUCCESS(f"Sandbox ready in {time.monotonic() - started:.1f} s"))
