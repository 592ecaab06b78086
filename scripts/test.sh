#!/usr/bin/env bash
# `make test`: set up (with the browser), start a Redis, a PostgreSQL, two sandbox daemons and
# a host Docker engine (for the live Compose stack) of its own, run pytest, and stop what it
# started. Extra arguments go to pytest.
#
# Two passes: everything but the scale-out test on SQLite (make run's database), then the
# tests marked `postgres` (two grading hosts on one queue) with DATABASE_URL on PostgreSQL.
# In a run without arguments the live Compose stack's modules run beside the first pass.
#
# Style and types first (scripts/lint.sh: ruff and mypy, seconds, no service needed). Their
# failure fails the run, but the tests run all the same so that one run shows everything;
# ESTALEIRO_LINT_STRICT=0 reports it without failing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --with-browser

VAR=${ESTALEIRO_VAR_DIR:-var}
mkdir -p "$VAR"
set +e
scripts/lint.sh 2>&1 | tee "$VAR/lint.log"
lint_status=${PIPESTATUS[0]}
set -e

TEST_REDIS_PORT=${TEST_REDIS_PORT:-6390}
TEST_POSTGRES_PORT=${TEST_POSTGRES_PORT:-5440}
SANDBOX_NAME=${SANDBOX_NAME:-estaleiro}
# A second daemon (own socket, data-root and cgroup) stands in for a second grading host.
SECOND_SANDBOX_NAME=${SECOND_SANDBOX_NAME:-$SANDBOX_NAME-b}
# A Docker engine standing in for a school server's, for the live Compose-stack tests
# (tests/deploy/test_live_stack.py, test_grading_hosts_live.py); its images and volumes stay
# on disk between runs.
HOST_DOCKER_NAME=${HOST_DOCKER_NAME:-$SANDBOX_NAME-host}
started_redis="" started_postgres="" started_sandboxes=() started_host_docker=""
cleanup() {
  [ -n "${live_pid:-}" ] && kill "$live_pid" 2>/dev/null || true
  [ -n "$started_host_docker" ] && scripts/host-docker.sh stop "$HOST_DOCKER_NAME" >/dev/null || true
  for name in "${started_sandboxes[@]}"; do sandbox/stop.sh "$name" >/dev/null || true; done
  [ -n "$started_postgres" ] && scripts/postgres.sh stop "$TEST_POSTGRES_PORT" "$VAR/test-postgres" >/dev/null || true
  [ -n "$started_redis" ] && scripts/redis.sh stop "$TEST_REDIS_PORT" "$VAR/test-redis" >/dev/null || true
}
trap cleanup EXIT

[ "$(scripts/redis.sh start "$TEST_REDIS_PORT" "$VAR/test-redis" | tail -n1)" = started ] && started_redis=1
[ "$(scripts/postgres.sh start "$TEST_POSTGRES_PORT" "$VAR/test-postgres" | tail -n1)" = started ] && started_postgres=1
if [ "$(id -u)" = 0 ]; then
  for name in "$SANDBOX_NAME" "$SECOND_SANDBOX_NAME"; do
    [ "$(sandbox/start.sh "$name" | tail -n1)" = started ] && started_sandboxes+=("$name")
  done
  [ "$(scripts/host-docker.sh start "$HOST_DOCKER_NAME" | tail -n1)" = started ] && started_host_docker=1
fi
export ESTALEIRO_HOST_DOCKER=unix:///run/$HOST_DOCKER_NAME/docker.sock

export CELERY_BROKER_URL=redis://127.0.0.1:$TEST_REDIS_PORT/0
export CELERY_RESULT_BACKEND=redis://127.0.0.1:$TEST_REDIS_PORT/1
export SANDBOX_DOCKER_HOST=unix:///run/$SANDBOX_NAME/docker.sock
export ESTALEIRO_SECOND_SANDBOX_HOST=unix:///run/$SECOND_SANDBOX_NAME/docker.sock
export ESTALEIRO_CHROMIUM=${ESTALEIRO_CHROMIUM:-/usr/bin/chromium}
# The labs' base images in both daemons (Debian stand-ins when no registry answers);
# seconds when cached.
.venv/bin/python manage.py prepare_sandbox
SANDBOX_DOCKER_HOST=$ESTALEIRO_SECOND_SANDBOX_HOST .venv/bin/python manage.py prepare_sandbox

# The live Compose stack's modules spend their time waiting on the host engine (a build, an
# `up`, a grading in dind): in a whole run they run beside the first pass, in a pytest of
# their own (its output follows the first pass's). With arguments, the passes take them.
LIVE_MODULES=(tests/deploy/test_grading_hosts_live.py tests/deploy/test_live_stack.py tests/deploy/test_upgrade_live.py)
live_pid=""
first_args=("$@")
if [ $# = 0 ]; then
  ESTALEIRO_TEST_DB="$VAR/test-db-live.sqlite3" .venv/bin/python -m pytest -p no:cacheprovider "${LIVE_MODULES[@]}" \
    >"$VAR/live-stack.log" 2>&1 &
  live_pid=$!
  first_args=()
  for module in "${LIVE_MODULES[@]}"; do first_args+=(--ignore "$module"); done
fi

status=0
.venv/bin/python -m pytest -m "not postgres" "${first_args[@]}" || status=$?
live=0
if [ -n "$live_pid" ]; then
  wait "$live_pid" || live=$?
  echo "--- the live Compose stack (${LIVE_MODULES[*]}), run beside the first pass ---"
  cat "$VAR/live-stack.log"
  [ "$status" = 0 ] && status=$live
fi
# The second pass selects nothing when the arguments leave out its tests (pytest's exit 5).
second=0
DATABASE_URL=$(scripts/postgres.sh url "$TEST_POSTGRES_PORT" "$VAR/test-postgres") \
  .venv/bin/python -m pytest -m postgres "$@" || second=$?
[ "$second" = 5 ] && second=0
[ "$status" = 0 ] && status=$second
if [ "$lint_status" != 0 ]; then
  echo "make test: $(tail -n1 "$VAR/lint.log") (details at the top of this run and in $VAR/lint.log)"
  if [ "${ESTALEIRO_LINT_STRICT:-1}" = 0 ]; then
    echo "make test: ESTALEIRO_LINT_STRICT=0, so the linters' failure does not fail the run"
  elif [ "$status" = 0 ]; then
    status=1
  fi
fi
exit "$status"
