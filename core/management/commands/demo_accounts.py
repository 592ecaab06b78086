from django.core.management.base import BaseCommand

from core.services import demo_accounts_ensure


class Command(BaseCommand):
    help = "Create or reset the demo instructor and learner and print their credentials."

    def handle(self, *args, **options):
        for account in demo_accounts_ensure():
            self.stdout.write(f"  {account.role:<10} user: {account.username:<12} password: {account.password}")
