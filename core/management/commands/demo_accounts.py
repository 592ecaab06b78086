from django.core.management.base import BaseCommand

from classes.models import Class
from classes.services import DEMO_CLASS_NAME, DEMO_CLASS_TERM
from core.services import demo_accounts_ensure

ROLE_LABELS = {"teacher": "teacher", "assistant": "teaching assistant", "learner": "learner"}


class Command(BaseCommand):
    help = (
        "Create the demo class with its teacher, teaching assistant and learner once, then print their "
        "credentials (or what became of them)."
    )

    def handle(self, *args, **options):
        accounts = demo_accounts_ensure()
        klass = Class.objects.filter(name=DEMO_CLASS_NAME, term=DEMO_CLASS_TERM).first()
        if klass is not None:
            self.stdout.write(f"  class: {klass.name} (join code {klass.join_code})")
        for account in accounts:
            secret = f"password: {account.password}" if account.password else f"({account.note})"
            role = ROLE_LABELS.get(account.role, account.role)
            self.stdout.write(f"  {role:<19} user: {account.username:<12} {secret}")
