"""Estaleiro settings: one module, driven by the environment.

Every setting has a default that works on one machine (`make run`); a deployment sets
the environment (see `.env.example`).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.files import private_file_create

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ESTALEIRO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        private_file_create(key_file, secrets.token_urlsafe(50).encode())
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "core",
    "classes",
    "quizzes",
    "labs",
    "lti_tool",
    "lti",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session middleware: it adjusts the cookies that one sets (lti/sessions.py).
    "lti.sessions.LtiSessionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Before any view's (or the CSRF check's) first look at request.POST: a body declared
    # too large is refused unread. After the session, user and messages: its page needs them.
    "core.uploads.RequestSizeLimit",
    "core.middleware.AdminEmptyToFieldGuard",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
        },
    },
]


# SQLite file by default; PostgreSQL (psycopg) when DATABASE_URL says so.
def _database(url: str) -> dj_database_url.DBConfig:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    try:
        config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")))
    except (ValueError, KeyError) as exc:  # dj-database-url's UnknownSchemeError is a ValueError
        config = {"ENGINE": ""} if isinstance(exc, ValueError) else {}
    if config.get("ENGINE") not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must be sqlite:///PATH or postgres://USER:PASSWORD@HOST:5432/NAME, "
            f"not a {scheme + '://' if scheme else 'value without a scheme'} URL."
        )
    return config


DATABASES = {"default": _database(os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the workers write the same file: WAL lets readers go on while
    # one writes, IMMEDIATE takes the write lock up front instead of failing mid-transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a real worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("ESTALEIRO_TEST_DB", str(VAR_DIR / "test-db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out (user, address) before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Brazilian Portuguese by default; English when the learner asks.
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Brazilian Portuguese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Sao_Paulo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Celery: Redis as broker and result store. Tasks are acknowledged late only where
# they claim their row first (see labs/tasks.py), so the default stays early ack.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Grading has a queue of its own, so the web's small tasks (the watchdog, the operations
# page's test task) never wait behind builds: grading workers consume GRADING_QUEUE only,
# a small worker (with beat) consumes the default queue.
GRADING_QUEUE = "grading"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"labs.grade_submission": {"queue": GRADING_QUEUE}}
# Every worker imports these at its start, whatever tasks autodiscovery finds: the worker's
# start and shutdown hooks and the remote-control command the operations page sends.
CELERY_IMPORTS = ["labs.worker"]


# Django's cache holds the sign-up and password-reset throttles (core/throttle.py): Redis, so
# that every gunicorn worker counts together; its own database number beside the broker's.
def _cache_url(broker: str) -> str:
    parts = urlsplit(broker)
    return urlunsplit(parts._replace(path="/2")) if parts.scheme in ("redis", "rediss") else ""


CACHE_URL = os.environ.get("CACHE_URL") or _cache_url(CELERY_BROKER_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "estaleiro",
        # A Redis that does not answer costs a request one second, not a hang (the throttles let it through).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Throttles. Logins: django-axes counts failures per (user name, client address), so one
# learner's typos never lock out the classroom behind the same school address; an
# administrator unlocks in the admin (Axes > Access attempts: delete) or with
# `manage.py axes_reset_username NAME`. Sign-ups and reset requests: per client address
# per hour (a class signs up together from one address: keep room for it), resets also per
# e-mail address so nobody's inbox is flooded.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.net.client_address"
AXES_LOCKOUT_CALLABLE = "core.views.login_locked_out"
AXES_VERBOSE = False
SIGNUPS_PER_HOUR = int(os.environ.get("SIGNUPS_PER_HOUR", "30"))
PASSWORD_RESETS_PER_HOUR = int(os.environ.get("PASSWORD_RESETS_PER_HOUR", "5"))

# E-mail (password reset). With no EMAIL_HOST the reset page says that reset by e-mail is not
# set up and to ask an instructor, rather than promising a message that cannot leave.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # port 465
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)  # STARTTLS, port 587
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "estaleiro@localhost")

# The dedicated sandbox Docker daemon (sandbox/start.sh); never the host's own engine.
SANDBOX_DOCKER_HOST = os.environ.get("SANDBOX_DOCKER_HOST", "unix:///run/estaleiro/docker.sock")
# Budget of the sandbox's build cache (the legacy builder's untagged step images), trimmed
# least recently used first by the janitor; the daemon's data-root must hold it and the builds.
SANDBOX_BUILD_CACHE_MB = int(os.environ.get("SANDBOX_BUILD_CACHE_MB", "4096"))

# Optional: turns "lesson section" references into links.
LESSON_URL = os.environ.get("LESSON_URL", "")
CONTENT_DIR = Path(os.environ.get("ESTALEIRO_CONTENT_DIR", BASE_DIR / "content"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes: lockouts are warnings; every successful login's "deleted 0 attempts" is not news.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Submissions (labs): limits a learner meets before anything is queued.
SUBMISSIONS_PER_MINUTE = int(os.environ.get("SUBMISSIONS_PER_MINUTE", "4"))
SUBMISSION_MAX_FILES = int(os.environ.get("SUBMISSION_MAX_FILES", "50"))
SUBMISSION_MAX_BYTES = int(os.environ.get("SUBMISSION_MAX_BYTES", str(5 * 1024 * 1024)))
# Request bodies are bounded before they are read (core/uploads.py): a body declared larger
# than REQUEST_MAX_BYTES (the upload plus room for the form) is refused with 413 unread; the
# upload handler stops at the file or byte past the submission limits as the body streams in.
REQUEST_MAX_BYTES = SUBMISSION_MAX_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # form fields other than files (a Dockerfile is at most 64 KB)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = SUBMISSION_MAX_FILES + 1  # the loose files and one .zip
FILE_UPLOAD_MAX_MEMORY_SIZE = SUBMISSION_MAX_BYTES  # bounded above, so kept in memory
FILE_UPLOAD_HANDLERS = [
    "core.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Platform faults (daemon down, out of disk) are retried this many times before "error".
GRADING_MAX_RETRIES = int(os.environ.get("GRADING_MAX_RETRIES", "3"))
# The watchdog requeues work stuck in a phase this long past the lab's own limits.
GRADING_STUCK_MARGIN_SECONDS = int(os.environ.get("GRADING_STUCK_MARGIN_SECONDS", "180"))
# A grading run writes a heartbeat this often; the watchdog requeues a run whose heartbeat
# is older than GRADING_WORKER_LOST_SECONDS (several missed) and whose worker does not
# answer a ping.
GRADING_HEARTBEAT_SECONDS = float(os.environ.get("GRADING_HEARTBEAT_SECONDS", "15"))
GRADING_WORKER_LOST_SECONDS = int(os.environ.get("GRADING_WORKER_LOST_SECONDS", "90"))
# How often beat runs the watchdog (a run lost with its worker waits up to this much longer).
GRADING_WATCHDOG_SECONDS = float(os.environ.get("GRADING_WATCHDOG_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "labs-watchdog": {"task": "labs.watchdog", "schedule": GRADING_WATCHDOG_SECONDS},
    # Quiz attempts past their time limit or the quiz's close date are submitted (quizzes/tasks.py).
    "quizzes-finish-overdue-attempts": {"task": "quizzes.finish_overdue_attempts", "schedule": 60.0},
    # Each LMS course's class follows the course's roster (lti/roster.py), at night.
    "lti-roster-sync-nightly": {"task": "lti.roster_sync_all", "schedule": crontab(hour=3, minute=17)},
    # Grades waiting for the LMS, or to be tried again after it failed, are sent (lti/passback.py).
    "lti-send-due-scores": {"task": "lti.send_due_scores", "schedule": 60.0},
}

# LTI 1.3 (docs/LTI.md). How far the LMS's clock may be from ours, either way, when a launch
# is checked; how long the LMS's public keys are kept before they are fetched again.
LTI_CLOCK_SKEW_SECONDS = int(os.environ.get("LTI_CLOCK_SKEW_SECONDS", "60"))
LTI_JWKS_CACHE_SECONDS = int(os.environ.get("LTI_JWKS_CACHE_SECONDS", "3600"))
# The address LMSs reach Estaleiro at (e.g. https://estaleiro.escola.br), used in the tool
# configuration the platforms page shows and in dynamic registration; empty: taken from each
# request (right unless a proxy in front serves https and forwards plain http).
LTI_TOOL_URL = os.environ.get("LTI_TOOL_URL", "").rstrip("/")
