#!/usr/bin/env bash
# `make run`: set up, then start Redis, the sandbox daemon, two Celery workers (beat in one) and
# the web server (gunicorn on http://127.0.0.1:8000). Ctrl-C stops everything it started.
# Started as root, it serves and grades as the unprivileged system user ESTALEIRO_USER
# (default: estaleiro, created if missing); Redis and the sandbox daemon stay root's.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && { set -a; . ./.env; set +a; }

scripts/setup.sh

BIND=${BIND:-127.0.0.1:8000}
REDIS_PORT=$(python3 -c 'import os,urllib.parse as u; print(u.urlparse(os.environ.get("CELERY_BROKER_URL","redis://127.0.0.1:6379/0")).port or 6379)')
SANDBOX_NAME=${SANDBOX_NAME:-estaleiro}
VAR=${ESTALEIRO_VAR_DIR:-var}
mkdir -p "$VAR/log"
VAR_ABS=$(cd "$VAR" && pwd)
RUN_USER=${ESTALEIRO_USER:-estaleiro}
SANDBOX_SOCKET=${SANDBOX_DOCKER_HOST:-unix:///run/estaleiro/docker.sock}
SANDBOX_SOCKET=${SANDBOX_SOCKET#unix://}

# The web server and the workers run as RUN_USER. Its group is made before the sandbox daemon
# starts: sandbox/start.sh gives the group "estaleiro" its socket when the group exists then.
# A command prefix rather than a function, so that `$!` of a background service is the
# service's own pid (setpriv and env exec it) and Ctrl-C's TERM reaches it.
AS_USER=()
if [ "$(id -u)" = 0 ] && [ "$RUN_USER" != root ]; then
  AS_USER=(setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups -- env HOME="$VAR_ABS/run" XDG_RUNTIME_DIR="$VAR_ABS/run")
fi
as_service_user() { "${AS_USER[@]}" "$@"; }
if [ "$(id -u)" = 0 ] && [ "$RUN_USER" != root ]; then
  getent group "$RUN_USER" >/dev/null || groupadd --system "$RUN_USER"
  id -u "$RUN_USER" >/dev/null 2>&1 || useradd --system --gid "$RUN_USER" --home-dir /nonexistent \
    --no-create-home --shell /usr/sbin/nologin --comment "Estaleiro (web server and workers)" "$RUN_USER"
  if ! as_service_user test -r manage.py; then
    echo "The user $RUN_USER cannot read the project at $PWD (a clone under /root?)." >&2
    echo "Clone it where other users can read it (e.g. /srv/estaleiro), or set ESTALEIRO_USER=root (not advised)." >&2
    exit 1
  fi
  if ! as_service_user .venv/bin/python -c "" 2>/dev/null; then
    echo "The user $RUN_USER cannot run .venv/bin/python ($(readlink -f .venv/bin/python))." >&2
    echo "Make the virtual environment from Debian's Python: rm -rf .venv && PYTHON=/usr/bin/python3 make run" >&2
    exit 1
  fi
fi

# What the web server and the workers write: the SQLite database (and its WAL files, beside it),
# the logs, beat's schedule, uploaded media, their home; the secret key and demo passwords they
# read. Everything else in var/ (Redis's data, a test PostgreSQL) keeps its owner.
hand_var_over() {
  [ "$(id -u)" = 0 ] && [ "$RUN_USER" != root ] || return 0
  mkdir -p "$VAR_ABS/run" "$VAR_ABS/media"
  chmod 700 "$VAR_ABS/run"
  chown "$RUN_USER:$RUN_USER" "$VAR_ABS"
  chown -R "$RUN_USER:$RUN_USER" "$VAR_ABS/log" "$VAR_ABS/run" "$VAR_ABS/media"
  local f
  for f in db.sqlite3 db.sqlite3-wal db.sqlite3-shm db.sqlite3-journal secret_key demo_accounts.json \
           celerybeat-schedule celerybeat-schedule.db celerybeat-schedule.dat celerybeat-schedule.dir celerybeat-schedule.bak; do
    [ -e "$VAR_ABS/$f" ] && chown "$RUN_USER:$RUN_USER" "$VAR_ABS/$f"
  done
  return 0
}

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
  if [ "$RUN_USER" != root ] && [ -S "$SANDBOX_SOCKET" ] && ! as_service_user test -w "$SANDBOX_SOCKET"; then
    echo "    WARNING: $RUN_USER cannot reach $SANDBOX_SOCKET (the daemon was started before the group" >&2
    echo "    $RUN_USER existed): gradings will fail until it is restarted: sandbox/stop.sh $SANDBOX_NAME, then make run." >&2
  fi
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
hand_var_over
CONCURRENCY=${CELERY_CONCURRENCY:-$(nproc)}
"${AS_USER[@]}" .venv/bin/celery -A config worker -Q grading --hostname "grading@%h" --concurrency "$CONCURRENCY" \
  --loglevel INFO >>"$VAR/log/worker.log" 2>&1 &
pids+=($!)
"${AS_USER[@]}" .venv/bin/celery -A config worker -Q celery --hostname "tasks@%h" --concurrency 1 --beat \
  --schedule "$VAR/celerybeat-schedule" --loglevel INFO >>"$VAR/log/tasks.log" 2>&1 &
pids+=($!)
"${AS_USER[@]}" .venv/bin/gunicorn config.wsgi --bind "$BIND" --workers "${WEB_WORKERS:-2}" --threads 4 \
  --access-logfile "$VAR/log/access.log" --error-logfile "$VAR/log/web.log" &
pids+=($!)

cat <<MSG

  Estaleiro is running on http://$BIND/ (web server and workers as user $( [ "$(id -u)" = 0 ] && echo "$RUN_USER" || id -un))
  Logs: $VAR/log/ (web.log, worker.log, tasks.log, access.log); sandbox daemon: /var/log/$SANDBOX_NAME-dockerd.log
  Press Ctrl-C to stop.

MSG
# Stop everything as soon as either process dies, so a crash is not hidden.
wait -n "${pids[@]}"
