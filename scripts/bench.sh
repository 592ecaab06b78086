#!/usr/bin/env bash
# `make bench-NAME`: set up, start a Redis of the benchmarks' own and the sandbox daemon,
# make the base images present, run bench/NAME.py (its figures go to docs/BENCHMARKS.md),
# and stop what it started. NAME: grading, burst, web, logflood; "all" runs the four.
# Extra arguments go to the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/bench.sh grading|burst|web|logflood|all [ARGS...]}
shift

scripts/setup.sh
# A Debian package that provides COMMAND, installed if the command is missing.
need() {
  local command=$1 package=$2
  command -v "$command" >/dev/null && return 0
  [ "$(id -u)" = 0 ] || { echo "$command is missing: sudo apt-get install $package" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null; }
}
# wrk, the load generator of the web benchmark.
if [ "$name" = web ] || [ "$name" = all ]; then need wrk wrk; fi
# The docker CLI, for the raw-Docker floor the grading, burst and logflood benchmarks measure: part of
# docker.io on Debian 12, a package of its own (docker-cli) from Debian 13 on.
case "$name" in grading|burst|logflood|all) need docker docker-cli ;; esac

BENCH_REDIS_PORT=${BENCH_REDIS_PORT:-6391}
SANDBOX_NAME=${SANDBOX_NAME:-estaleiro}
VAR=${ESTALEIRO_VAR_DIR:-var}
started_redis="" started_sandbox=""
cleanup() {
  [ -n "$started_sandbox" ] && sandbox/stop.sh "$SANDBOX_NAME" >/dev/null || true
  [ -n "$started_redis" ] && scripts/redis.sh stop "$BENCH_REDIS_PORT" "$VAR/bench-redis" >/dev/null || true
}
trap cleanup EXIT
[ "$(scripts/redis.sh start "$BENCH_REDIS_PORT" "$VAR/bench-redis" | tail -n1)" = started ] && started_redis=1
if [ "$(id -u)" = 0 ]; then
  [ "$(sandbox/start.sh "$SANDBOX_NAME" | tail -n1)" = started ] && started_sandbox=1
fi
export CELERY_BROKER_URL=redis://127.0.0.1:$BENCH_REDIS_PORT/0
export CELERY_RESULT_BACKEND=redis://127.0.0.1:$BENCH_REDIS_PORT/1
export SANDBOX_DOCKER_HOST=unix:///run/$SANDBOX_NAME/docker.sock
.venv/bin/python manage.py prepare_sandbox >/dev/null

if [ "$name" = all ]; then
  for each in grading burst web logflood; do .venv/bin/python "bench/$each.py"; done
else
  [ -f "bench/$name.py" ] || { echo "no benchmark bench/$name.py" >&2; exit 2; }
  .venv/bin/python "bench/$name.py" "$@"
fi
