from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lti.keys import RETIRE_AFTER_DAYS, tool_keys_setup


class Command(BaseCommand):
    help = (
        "The LTI tool's signing key: make one if there is none (run at every set-up); with --rotate, a new key "
        "that signs from now on. Keys replaced more than --retire-after days ago leave the JWKS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rotate", action="store_true", help="Make a new key now (the older ones are retired later)."
        )
        parser.add_argument(
            "--retire-after",
            type=int,
            default=RETIRE_AFTER_DAYS,
            metavar="DAYS",
            help=f"Days a replaced key stays in the JWKS (default {RETIRE_AFTER_DAYS}).",
        )

    def handle(self, *args, rotate: bool, retire_after: int, verbosity: int, **options):
        if retire_after < 0:
            raise CommandError(_("--retire-after must be 0 or more days."))
        outcome = tool_keys_setup(rotate=rotate, retire_after=timedelta(days=retire_after))
        if verbosity < 1:
            return
        if outcome.created is not None:
            self.stdout.write(_("New LTI key %(kid)s: it signs from now on.") % {"kid": outcome.created})
        if outcome.retired:
            self.stdout.write(_("Keys retired from the JWKS: %(n)d.") % {"n": outcome.retired})
        self.stdout.write(_("Active LTI keys (published in the JWKS): %(n)d.") % {"n": outcome.active})
