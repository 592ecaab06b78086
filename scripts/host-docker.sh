#!/usr/bin/env bash
# A Docker engine standing in for a school server's own, for the live Compose-stack test
# (tests/deploy/test_live_stack.py): `docker compose up` runs against it, never against the
# sandbox daemons (sandbox/start.sh), which build learners' Dockerfiles.
#
# Like sandbox/start.sh it touches no engine the machine may already run: its own socket
# (/run/NAME/docker.sock), exec-root, pidfile, containerd namespace and a data-root on a
# sparse ext4 image under /var/lib, kept between runs so the stand-in images and the
# stack's build cache survive (a fresh clone's run on the same machine reuses them). No
# default bridge, no iptables rules, no masquerading: the Compose stack's user-defined
# bridge networks work, published ports reach the host through docker-proxy, and nothing
# in a container gets a route out. Unlike the sandbox daemon it runs in the host's network
# namespace (published ports must reach the host) and without userns-remap (a server's
# engine has none; the dind service needs real root in its container).
#
# Usage: scripts/host-docker.sh start|stop|status [NAME]   (NAME defaults to estaleiro-host)
# Environment: HOST_DOCKER_DISK_SIZE (default 48G, sparse), HOST_DOCKER_STATE_DIR (/var/lib).
# start prints "started" or "already-running" as its last line; stop prints "stopped".
set -euo pipefail

ACTION=${1:-}
NAME=${2:-estaleiro-host}
case "$NAME" in
  *[!a-z0-9-]*|"") echo "host-docker.sh: invalid name '$NAME' (use a-z, 0-9, -)" >&2; exit 2 ;;
esac
RUN_DIR=/run/$NAME
SOCK=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/docker.pid
STATE_DIR=${HOST_DOCKER_STATE_DIR:-/var/lib}
DATA_ROOT=$STATE_DIR/$NAME-docker
DISK_IMAGE=$STATE_DIR/$NAME-docker.img
DISK_SIZE=${HOST_DOCKER_DISK_SIZE:-48G}
LOG=/var/log/$NAME-dockerd.log

die() { echo "host-docker.sh: $*" >&2; exit 1; }

ping_daemon() {
  python3 - "$SOCK" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
sys.exit(0 if b" 200 " in s.recv(256) else 1)
PY
}

stop() {
  if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      # dockerd stops its containers first (a dind inside stops its own): give it time.
      for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
    fi
    rm -f "$PIDFILE"
  fi
  # Volumes of containers (dind's own overlay mounts) may still hang below the data-root.
  if mountpoint -q "$DATA_ROOT" 2>/dev/null; then
    { grep -o " $DATA_ROOT/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    umount "$DATA_ROOT" 2>/dev/null || umount -l "$DATA_ROOT" || true
  fi
  echo "stopped"
}

start() {
  [ "$(id -u)" = 0 ] || die "must run as root (it mounts a filesystem and starts dockerd)"
  command -v dockerd >/dev/null || die "dockerd not found: install Debian's docker.io"
  command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found: install e2fsprogs"
  if [ -S "$SOCK" ] && ping_daemon; then
    echo "already-running"
    return 0
  fi
  mkdir -p "$RUN_DIR" "$STATE_DIR"
  chmod 0710 "$RUN_DIR"
  if [ -f "$PIDFILE" ]; then
    old=$(cat "$PIDFILE" 2>/dev/null || true)
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
      die "a dockerd (pid $old) owns $PIDFILE but does not answer on $SOCK; see $LOG"
    fi
    rm -f "$PIDFILE"
  fi
  rm -f "$SOCK"
  if ! mountpoint -q "$DATA_ROOT" 2>/dev/null; then
    mkdir -p "$DATA_ROOT"
    if [ ! -f "$DISK_IMAGE" ]; then
      truncate -s "$DISK_SIZE" "$DISK_IMAGE"
      mkfs.ext4 -q -F -L "$NAME" "$DISK_IMAGE"
    else
      e2fsck -p "$DISK_IMAGE" >/dev/null 2>&1 || true
    fi
    mount -o loop,noatime "$DISK_IMAGE" "$DATA_ROOT" || die "cannot loop-mount $DISK_IMAGE on $DATA_ROOT"
  fi
  setsid dockerd \
    --host "unix://$SOCK" \
    --data-root "$DATA_ROOT" \
    --exec-root "$RUN_DIR/exec" \
    --pidfile "$PIDFILE" \
    --containerd-namespace "$NAME" \
    --containerd-plugins-namespace "$NAME-plugins" \
    --bridge none --iptables=false --ip6tables=false --ip-masq=false \
    --storage-driver overlay2 \
    --exec-opt native.cgroupdriver=cgroupfs \
    --log-driver json-file --log-opt max-size=10m --log-opt max-file=2 \
    </dev/null >>"$LOG" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    if [ -S "$SOCK" ] && ping_daemon; then
      echo "started"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  {
    echo "host-docker.sh: the engine did not answer on $SOCK. Its log is $LOG; the last lines:"
    tail -n 30 "$LOG" | sed 's/^/    /' || true
  } >&2
  exit 1
}

case "$ACTION" in
  start) start ;;
  stop) stop ;;
  status) if [ -S "$SOCK" ] && ping_daemon; then echo "running"; else echo "stopped"; exit 3; fi ;;
  *) echo "usage: scripts/host-docker.sh start|stop|status [NAME]" >&2; exit 2 ;;
esac
