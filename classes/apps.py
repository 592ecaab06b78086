from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassesConfig(AppConfig):
    name = "classes"
    verbose_name = _("Classes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the classes' tasks with Celery in every process, the web's too: the roster
        # import sends its e-mails' task by its registered name.
        from . import tasks  # noqa: F401
