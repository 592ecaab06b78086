#!/usr/bin/env bash
# Start or stop a Redis server for Estaleiro on 127.0.0.1:PORT, data kept in DIR (AOF on,
# so queued tasks survive a restart). "start" prints "started" or "already-running".
# Usage: scripts/redis.sh start|stop PORT DIR
set -euo pipefail
action=$1 port=$2 dir=$3
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$action" in
  start)
    if redis-cli -p "$port" ping >/dev/null 2>&1; then echo "already-running"; exit 0; fi
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --daemonize yes --save ""
    for _ in $(seq 1 50); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "started"; exit 0; }
      sleep 0.2
    done
    echo "Redis did not start on port $port; see $dir/redis.log" >&2; exit 1 ;;
  stop)
    redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
    echo "stopped" ;;
  *) echo "usage: $0 start|stop PORT DIR" >&2; exit 2 ;;
esac
