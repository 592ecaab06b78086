#!/usr/bin/env bash
# Stop the sandbox Docker daemon started by sandbox/start.sh and unmount its data-root.
# Usage: sandbox/stop.sh [NAME]      Does nothing if that daemon is not running.
set -euo pipefail

NAME=${1:-estaleiro}
case "$NAME" in
  *[!a-z0-9-]*|"") echo "sandbox/stop.sh: invalid name '$NAME'" >&2; exit 2 ;;
esac
RUN_DIR=/run/$NAME
PIDFILE=$RUN_DIR/docker.pid
DATA_ROOT=${SANDBOX_STATE_DIR:-/var/lib}/$NAME-docker

if [ -f "$PIDFILE" ]; then
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    # dockerd stops its containers first; give it time, then insist.
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
  fi
  rm -f "$PIDFILE"
fi

# Leave the image file in place (it holds the base images and build cache);
# only detach it so the next start remounts a consistent filesystem.
if mountpoint -q "$DATA_ROOT" 2>/dev/null; then
  umount "$DATA_ROOT" 2>/dev/null || umount -l "$DATA_ROOT" || true
fi
# The daemon's network namespace (see start.sh) goes with it.
if [ -e "/run/netns/$NAME" ]; then
  ip netns delete "$NAME" 2>/dev/null || true
fi
echo "stopped"
