#!/usr/bin/env bash
# `make bench-NAME`: set up, start a Redis of the benchmarks' own and the sandbox daemon,
# make the base images present, run bench/NAME.py (its figures go to docs/BENCHMARKS.md),
# and stop what it started. NAME: grading, burst, web, logflood, class; "all" runs the five.
# Extra arguments go to the benchmark.
#
# class measures on PostgreSQL and needs no sandbox: it starts a PostgreSQL server of the
# benchmarks' own (scripts/postgres.sh, port BENCH_POSTGRES_PORT, 5441, cluster in
# var/bench-postgres), or uses the server BENCH_DATABASE_URL names. Either way bench/class.py
# works in a scratch database it creates there and drops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/bench.sh grading|burst|web|logflood|class|all [ARGS...]}
shift

scripts/setup.sh
# A Debian package, installed as root (or named, for someone to install).
install_package() {
  local package=$1
  [ "$(id -u)" = 0 ] || { echo "$package is missing: sudo apt-get install $package" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null; }
}
# A Debian package that provides COMMAND, installed if the command is missing.
need() { command -v "$1" >/dev/null || install_package "$2"; }
# wrk, the load generator of the web benchmark.
if [ "$name" = web ] || [ "$name" = all ]; then need wrk wrk; fi
# The docker CLI, for the raw-Docker floor the grading, burst and logflood benchmarks measure: part of
# docker.io on Debian 12, a package of its own (docker-cli) from Debian 13 on.
case "$name" in grading|burst|logflood|all) need docker docker-cli ;; esac
# PostgreSQL's server programs, for the class benchmark's own server.
case "$name" in class|all)
  [ -n "${BENCH_DATABASE_URL:-}" ] || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || install_package postgresql ;;
esac

BENCH_REDIS_PORT=${BENCH_REDIS_PORT:-6391}
BENCH_POSTGRES_PORT=${BENCH_POSTGRES_PORT:-5441}
SANDBOX_NAME=${SANDBOX_NAME:-estaleiro}
VAR=${ESTALEIRO_VAR_DIR:-var}
started_redis="" started_sandbox="" started_postgres=""
cleanup() {
  [ -n "$started_sandbox" ] && sandbox/stop.sh "$SANDBOX_NAME" >/dev/null || true
  [ -n "$started_postgres" ] && scripts/postgres.sh stop "$BENCH_POSTGRES_PORT" "$VAR/bench-postgres" >/dev/null || true
  [ -n "$started_redis" ] && scripts/redis.sh stop "$BENCH_REDIS_PORT" "$VAR/bench-redis" >/dev/null || true
}
trap cleanup EXIT
[ "$(scripts/redis.sh start "$BENCH_REDIS_PORT" "$VAR/bench-redis" | tail -n1)" = started ] && started_redis=1
export CELERY_BROKER_URL=redis://127.0.0.1:$BENCH_REDIS_PORT/0
export CELERY_RESULT_BACKEND=redis://127.0.0.1:$BENCH_REDIS_PORT/1
if [ "$name" != class ]; then
  if [ "$(id -u)" = 0 ]; then
    [ "$(sandbox/start.sh "$SANDBOX_NAME" | tail -n1)" = started ] && started_sandbox=1
  fi
  export SANDBOX_DOCKER_HOST=unix:///run/$SANDBOX_NAME/docker.sock
  .venv/bin/python manage.py prepare_sandbox >/dev/null
fi
postgres_url=""
if [ "$name" = class ] || [ "$name" = all ]; then
  if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    postgres_url=$BENCH_DATABASE_URL
  else
    [ "$(scripts/postgres.sh start "$BENCH_POSTGRES_PORT" "$VAR/bench-postgres" | tail -n1)" = started ] && started_postgres=1
    postgres_url=$(scripts/postgres.sh url "$BENCH_POSTGRES_PORT" "$VAR/bench-postgres")
  fi
fi

# Only the class benchmark is given the PostgreSQL server; the others use SQLite files of their own.
run() {
  local each=$1; shift
  [ -f "bench/$each.py" ] || { echo "no benchmark bench/$each.py" >&2; exit 2; }
  if [ "$each" = class ]; then
    DATABASE_URL=$postgres_url .venv/bin/python "bench/$each.py" "$@"
  else
    .venv/bin/python "bench/$each.py" "$@"
  fi
}
if [ "$name" = all ]; then
  for each in grading burst web logflood class; do run "$each"; done
else
  run "$name" "$@"
fi
