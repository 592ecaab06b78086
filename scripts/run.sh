#!/usr/bin/env bash
# `make run`: set up, then start Redis, the sandbox daemon, two Celery workers (beat in one) and
# the web server (gunicorn on http://127.0.0.1:8000). Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && { set -a; . ./.env; set +a; }

scripts/setup.sh

BIND=${BIND:-127.0.0.1:8000}
REDIS_PORT=$(python3 -c 'import os,urllib.parse as u; print(u.urlparse(os.environ.get("CELERY_BROKER_URL","redis://127.0.0.1:6379/0")).port or 6379)')
SANDBOX_NAME=${SANDBOX_NAME:-estaleiro}
VAR=${ESTALEIRO_VAR_DIR:-var}
mkdir -p "$VAR/log"

started_redis="" started_sandbox="" pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "==> Stopping Estaleiro"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "$started_sandbox" ] && sandbox/stop.sh "$SANDBOX_NAME" >/dev/null || true
  [ -n "$started_redis" ] && scripts/redis.sh stop "$REDIS_PORT" "$VAR/redis" >/dev/null || true
  echo "==> Stopped"
}
trap cleanup INT TERM EXIT

echo "==> Redis on 127.0.0.1:$REDIS_PORT"
[ "$(scripts/redis.sh start "$REDIS_PORT" "$VAR/redis" | tail -n1)" = started ] && started_redis=1
echo "==> Sandbox Docker daemon ($SANDBOX_NAME)"
if [ "$(id -u)" = 0 ]; then
  [ "$(sandbox/start.sh "$SANDBOX_NAME" | tail -n1)" = started ] && started_sandbox=1
else
  echo "    not root: using the sandbox daemon at ${SANDBOX_DOCKER_HOST:-unix:///run/estaleiro/docker.sock} if one runs"
fi

.venv/bin/python manage.py load_content
echo "==> Base images for the labs (the first time takes a few minutes)"
.venv/bin/python manage.py prepare_sandbox
echo "==> Demo accounts"
.venv/bin/python manage.py demo_accounts

# Two workers: the grading one (one process per core) consumes only the grading queue; a
# small one with beat takes the web's tasks (watchdog, test task), which never wait behind builds.
CONCURRENCY=${CELERY_CONCURRENCY:-$(nproc)}
.venv/bin/celery -A config worker -Q grading --hostname "grading@%h" --concurrency "$CONCURRENCY" \
  --loglevel INFO >>"$VAR/log/worker.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A config worker -Q celery --hostname "tasks@%h" --concurrency 1 --beat \
  --schedule "$VAR/celerybeat-schedule" --loglevel INFO >>"$VAR/log/tasks.log" 2>&1 &
pids+=($!)
.venv/bin/gunicorn config.wsgi --bind "$BIND" --workers "${WEB_WORKERS:-2}" --threads 4 \
  --access-logfile "$VAR/log/access.log" --error-logfile "$VAR/log/web.log" &
pids+=($!)

cat <<MSG

  Estaleiro is running on http://$BIND/
  Logs: $VAR/log/ (web.log, worker.log, tasks.log, access.log); sandbox daemon: /var/log/$SANDBOX_NAME-dockerd.log
  Press Ctrl-C to stop.

MSG
# Stop everything as soon as either process dies, so a crash is not hidden.
wait -n "${pids[@]}"
