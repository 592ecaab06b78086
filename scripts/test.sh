#!/usr/bin/env bash
# `make test`: set up (with the browser), start a Redis of its own and the sandbox daemon,
# run pytest, and stop what it started. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --with-browser

TEST_REDIS_PORT=${TEST_REDIS_PORT:-6390}
SANDBOX_NAME=${SANDBOX_NAME:-estaleiro}
VAR=${ESTALEIRO_VAR_DIR:-var}
started_redis="" started_sandbox=""
cleanup() {
  [ -n "$started_sandbox" ] && sandbox/stop.sh "$SANDBOX_NAME" >/dev/null || true
  [ -n "$started_redis" ] && scripts/redis.sh stop "$TEST_REDIS_PORT" "$VAR/test-redis" >/dev/null || true
}
trap cleanup EXIT

[ "$(scripts/redis.sh start "$TEST_REDIS_PORT" "$VAR/test-redis" | tail -n1)" = started ] && started_redis=1
if [ "$(id -u)" = 0 ]; then
  [ "$(sandbox/start.sh "$SANDBOX_NAME" | tail -n1)" = started ] && started_sandbox=1
fi

export CELERY_BROKER_URL=redis://127.0.0.1:$TEST_REDIS_PORT/0
export CELERY_RESULT_BACKEND=redis://127.0.0.1:$TEST_REDIS_PORT/1
export SANDBOX_DOCKER_HOST=unix:///run/$SANDBOX_NAME/docker.sock
export ESTALEIRO_CHROMIUM=${ESTALEIRO_CHROMIUM:-/usr/bin/chromium}
# The labs' base images (Debian stand-ins when no registry answers); seconds when cached.
.venv/bin/python manage.py prepare_sandbox
.venv/bin/python -m pytest "$@"
