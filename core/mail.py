from django.conf import settings


def mail_configured() -> bool:
    """Whether the site can send e-mail: a mail server is named, or a backend other than SMTP
    (console, file, a test's outbox) is in use."""
    return settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend" or bool(settings.EMAIL_HOST)
