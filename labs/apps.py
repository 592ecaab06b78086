from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LabsConfig(AppConfig):
    name = "labs"
    verbose_name = _("Labs")

    def ready(self) -> None:
        # Registers the labs' tasks with Celery in every process, the web's too: services
        # send the grading task by its registered name (labs.services._enqueue).
        from . import tasks  # noqa: F401
