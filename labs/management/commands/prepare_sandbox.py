import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labs.content import lab_dirs, load_lab
from labs.grading.spec import SpecError
from labs.sandbox.base_images import BaseImageError, prepare_base
from labs.sandbox.client import SandboxUnavailable, connect


class Command(BaseCommand):
    help = (
        "Make every base image the labs allow present in the sandbox daemon: pulled when a "
        "registry answers, else a Debian stand-in, plus an offline wheelhouse of the labs' packages."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cache-dir", type=Path, default=Path("/var/cache/estaleiro/base-images"))

    def handle(self, *args, cache_dir: Path, **options):
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
        for name, packages in sorted(wanted.items()):
            try:
                prepared = prepare_base(client, name, sorted(packages), cache_dir, say=lambda m: self.stdout.write(f"  {m}"))
            except BaseImageError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"{name}: {prepared.source}, {prepared.packages} package(s) offline, {prepared.image_id[:19]}")
        self.stdout.write(self.style.SUCCESS(f"Sandbox ready in {time.monotonic() - started:.1f} s"))
