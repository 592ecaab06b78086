#!/usr/bin/env bash
# Start the dedicated sandbox Docker daemon that builds and runs learners' Dockerfiles.
#
# It never touches a Docker engine the host may already run: its own socket, data-root,
# exec-root, pidfile and containerd namespace; no bridge, no iptables rules.
# Idempotent: if the daemon already answers on its socket, nothing is done.
#
# Usage: sandbox/start.sh [NAME]      (NAME defaults to "estaleiro"; a second name gives a
#                                      second, independent daemon, e.g. for a second grading host)
# Environment (all optional):
#   SANDBOX_DISK_SIZE    size of the data-root filesystem (default 16G, a sparse file)
#   SANDBOX_PIDS_MAX     processes allowed to all sandbox work together (default 4096)
#   SANDBOX_MEMORY_MAX   memory allowed to all sandbox work together (default 6G)
#   SANDBOX_STATE_DIR    where the disk image lives (default /var/lib)
# Prints "started" or "already-running" as its last line.
set -euo pipefail

NAME=${1:-estaleiro}
case "$NAME" in
  *[!a-z0-9-]*|"") echo "sandbox/start.sh: invalid name '$NAME' (use a-z, 0-9, -)" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
RUN_DIR=/run/$NAME
SOCK=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/docker.pid
STATE_DIR=${SANDBOX_STATE_DIR:-/var/lib}
DATA_ROOT=$STATE_DIR/$NAME-docker
DISK_IMAGE=$STATE_DIR/$NAME-docker.img
DISK_SIZE=${SANDBOX_DISK_SIZE:-16G}
PIDS_MAX=${SANDBOX_PIDS_MAX:-4096}
MEMORY_MAX=${SANDBOX_MEMORY_MAX:-6G}
LOG=/var/log/$NAME-dockerd.log

die() { echo "sandbox/start.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it mounts a filesystem and starts dockerd)"
command -v dockerd >/dev/null || die "dockerd not found: install Debian's docker.io"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found: install e2fsprogs"

ping_daemon() {
  # The socket answering /_ping is the only proof the daemon is up.
  python3 - "$SOCK" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: sandbox\r\n\r\n")
data = s.recv(256)
sys.exit(0 if b" 200 " in data else 1)
PY
}

if [ -S "$SOCK" ] && ping_daemon; then
  echo "already-running"
  exit 0
fi

mkdir -p "$RUN_DIR" "$STATE_DIR"
chmod 0710 "$RUN_DIR"

# A stale pidfile from a crashed daemon would make dockerd refuse to start.
if [ -f "$PIDFILE" ]; then
  old=$(cat "$PIDFILE" 2>/dev/null || true)
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
    die "a dockerd (pid $old) owns $PIDFILE but does not answer on $SOCK; see $LOG"
  fi
  rm -f "$PIDFILE"
fi
rm -f "$SOCK"

# Data-root on its own size-capped filesystem: overlay2 has no per-container quota on
# this kernel, so a learner's `RUN dd` must hit this cap, not fill the host disk.
if ! mountpoint -q "$DATA_ROOT" 2>/dev/null; then
  mkdir -p "$DATA_ROOT"
  if [ ! -f "$DISK_IMAGE" ]; then
    truncate -s "$DISK_SIZE" "$DISK_IMAGE"
    mkfs.ext4 -q -F -L "$NAME" "$DISK_IMAGE"
  fi
  mount -o loop,noatime "$DISK_IMAGE" "$DATA_ROOT" || die "cannot loop-mount $DISK_IMAGE on $DATA_ROOT"
fi

# One parent cgroup bounds all sandbox work together (builds included): a fork bomb or
# a memory hog in a RUN step stops there, not on the host.
to_bytes() { numfmt --from=iec "$1"; }
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  cg=/sys/fs/cgroup/$NAME
  mkdir -p "$cg"
  for c in pids memory cpu; do echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true; done
  echo "$PIDS_MAX" > "$cg/pids.max"
  to_bytes "$MEMORY_MAX" > "$cg/memory.max"
else
  for c in pids memory cpu cpuacct cpuset blkio devices freezer; do
    [ -d "/sys/fs/cgroup/$c" ] && mkdir -p "/sys/fs/cgroup/$c/$NAME"
  done
  echo "$PIDS_MAX" > "/sys/fs/cgroup/pids/$NAME/pids.max"
  to_bytes "$MEMORY_MAX" > "/sys/fs/cgroup/memory/$NAME/memory.limit_in_bytes"
  # A new cpuset cgroup starts empty; copy the parent's so containers can be placed in it.
  if [ -d "/sys/fs/cgroup/cpuset/$NAME" ]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus > "/sys/fs/cgroup/cpuset/$NAME/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems > "/sys/fs/cgroup/cpuset/$NAME/cpuset.mems"
  fi
fi

setsid dockerd \
  --host "unix://$SOCK" \
  --data-root "$DATA_ROOT" \
  --exec-root "$RUN_DIR/exec" \
  --pidfile "$PIDFILE" \
  --containerd-namespace "$NAME" \
  --containerd-plugins-namespace "$NAME-plugins" \
  --bridge none --iptables=false --ip6tables=false --ip-masq=false \
  --userns-remap default \
  --cgroup-parent "/$NAME" \
  --config-file "$HERE/daemon.json" \
  </dev/null >>"$LOG" 2>&1 &
DOCKERD_PID=$!

why=""
for _ in $(seq 1 120); do
  if [ -S "$SOCK" ] && ping_daemon; then
    echo "started"
    exit 0
  fi
  if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
    why="dockerd exited while starting"
    break
  fi
  sleep 0.5
done
why=${why:-"the sandbox daemon did not answer on $SOCK within 60 s"}
# The sentence first, then the daemon's own words for whoever has to fix it.
{
  echo "sandbox/start.sh: $why. Its log is $LOG; the last lines:"
  tail -n 30 "$LOG" | sed 's/^/    /' || true
} >&2
exit 1
