from django.apps import AppConfig


class LtiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lti"
    verbose_name = "LTI"

    def ready(self) -> None:
        # The grade-change receiver, and the LTI tasks registered with Celery in every process,
        # the web's too: the people page queues a roster sync, a new grade its send, by the
        # task's registered name (lti.roster, lti.passback).
        from . import receivers, tasks  # noqa: F401
