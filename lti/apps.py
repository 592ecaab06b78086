from django.apps import AppConfig


class LtiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lti"
    verbose_name = "LTI"

    def ready(self) -> None:
        # Registers the LTI tasks with Celery in every process, the web's too: the people
        # page queues a roster sync by the task's registered name (lti.roster).
        from . import tasks  # noqa: F401
