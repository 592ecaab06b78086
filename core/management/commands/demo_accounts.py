from django.core.management.base import BaseCommand

from core.services import demo_accounts_ensure


class Command(BaseCommand):
    help = "Create the demo instructor and learner once, then print their credentials (or what became of them)."

    def handle(self, *args, **options):
        for account in demo_accounts_ensure():
            secret = f"password: {account.password}" if account.password else f"({account.note})"
            self.stdout.write(f"  {account.role:<10} user: {account.username:<12} {secret}")
