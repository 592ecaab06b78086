#!/usr/bin/env bash
# A PostgreSQL server of Estaleiro's own on 127.0.0.1:PORT (the tests use it for the
# multi-host checks), with its cluster in DIR. It never touches a cluster the host runs.
#   start  creates the cluster the first time (password auth, a random password kept in
#          DIR/password, mode 600), starts it; prints "started" or "already-running" last
#   stop   stops it (the cluster stays)
#   url    prints the DATABASE_URL for database NAME (default estaleiro)
# Usage: scripts/postgres.sh start|stop|url PORT DIR [NAME]
set -euo pipefail
action=$1 port=$2 dir=$3 name=${4:-estaleiro}

die() { echo "scripts/postgres.sh: $*" >&2; exit 1; }
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$pg_bin" ] || die "PostgreSQL is not installed (Debian: apt-get install postgresql)"
# The server refuses to run as root: it runs as the postgres user Debian's package creates.
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
data=$dir/data

answers() { as_postgres "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port"; }

case "$action" in
  start)
    if answers; then echo "already-running"; exit 0; fi
    mkdir -p "$dir"
    if [ ! -f "$data/PG_VERSION" ]; then
      [ -f "$dir/password" ] || { (umask 077; head -c 18 /dev/urandom | base64 | tr '+/' '-_' > "$dir/password"); }
      rm -rf "$data"
      install -d -m 0700 "$data"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir" "$data" && chown root: "$dir/password"
      pwfile=$(mktemp); cp "$dir/password" "$pwfile"; [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
      as_postgres "$pg_bin/initdb" -D "$data" -U estaleiro --pwfile="$pwfile" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" \
        || { rm -f "$pwfile"; die "initdb failed; see $dir/initdb.log"; }
      rm -f "$pwfile"
    fi
    # fsync off: the tests' data is thrown away, and migrations run several times faster.
    as_postgres "$pg_bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k /tmp -c fsync=off -c max_connections=200" start >/dev/null \
      || die "PostgreSQL did not start on port $port; see $data/server.log"
    echo "started" ;;
  stop)
    if [ -f "$data/postmaster.pid" ]; then
      as_postgres "$pg_bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
    fi
    echo "stopped" ;;
  url)
    [ -f "$dir/password" ] || die "no cluster in $dir (run: $0 start $port $dir)"
    echo "postgres://estaleiro:$(cat "$dir/password")@127.0.0.1:$port/$name" ;;
  *) die "usage: $0 start|stop|url PORT DIR [NAME]" ;;
esac
