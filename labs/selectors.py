from django.db.models import QuerySet

from .models import Lab


def labs_for_home(*, user) -> QuerySet[Lab]:
    return Lab.objects.filter(is_active=True)
