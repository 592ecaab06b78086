#!/usr/bin/env bash
# Start the dedicated sandbox Docker daemon that builds and runs learners' Dockerfiles.
#
# It never touches a Docker engine the host may already run: its own socket, data-root,
# exec-root, pidfile and containerd namespace; no bridge, no iptables rules. It runs in a
# network namespace of its own (/run/netns/NAME) that holds only a loopback interface, so
# nothing the daemon does for a build (an `ADD <url>` the gate misread, a pull) can reach
# the host, the LAN or a cloud metadata endpoint: isolation that does not depend on the
# gate reading the Dockerfile right. Its unix socket stays reachable from the host.
# Idempotent: if the daemon already answers on its socket, nothing is done.
#
# Usage: sandbox/start.sh [NAME]      (NAME defaults to "estaleiro"; a second name gives a
#                                      second, independent daemon, e.g. for a second grading host)
# Environment (all optional):
#   SANDBOX_DISK_SIZE    size of the data-root filesystem (default 16G, a sparse file)
#   SANDBOX_PIDS_MAX     processes allowed to all sandbox work together (default 4096)
#   SANDBOX_MEMORY_MAX   memory allowed to all sandbox work together (default 6G)
#   SANDBOX_STATE_DIR    where the disk image lives (default /var/lib)
#   SANDBOX_SOCKET_GROUP group given access to the socket (default: "estaleiro" when that
#                        group exists, so make run's unprivileged user can grade; else root)
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
command -v ip >/dev/null || die "ip not found: install iproute2"
command -v nsenter >/dev/null || die "nsenter not found: install util-linux"

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

# The daemon's own network namespace: loopback only, no route anywhere. Created once and
# kept (stop.sh removes it); a namespace someone gave an interface or a route is refused.
NETNS=/run/netns/$NAME
if [ ! -e "$NETNS" ]; then
  ip netns add "$NAME" || die "cannot create the network namespace $NAME (ip netns add)"
fi
ip -n "$NAME" link set lo up || die "cannot bring up loopback in the network namespace $NAME"
links=$(ip -n "$NAME" -o link show | awk -F': ' '{print $2}' | grep -vx lo || true)
routes=$(ip -n "$NAME" route show; ip -n "$NAME" -6 route show | grep -v '^::1 ' || true)
[ -z "$links" ] || die "the network namespace $NAME has interfaces besides loopback ($links); remove them or it (ip netns delete $NAME)"
[ -z "$routes" ] || die "the network namespace $NAME has routes ($routes); remove it (ip netns delete $NAME)"

# Seccomp: the daemon's default profile without io_uring (Docker 20.10's default allows it;
# later releases block it). The profile is derived at start from the default.json that
# Debian ships for this very dockerd version (scripts/setup.sh extracts it); no profile
# means the daemon's built-in default.
seccomp_args=()
SECCOMP_SOURCE=${SANDBOX_SECCOMP_DEFAULT:-}
if [ -z "$SECCOMP_SOURCE" ]; then
  version=$(dockerd --version 2>/dev/null | sed -n 's/^Docker version \([^, ]*\).*/\1/p' || true)
  SECCOMP_SOURCE=${ESTALEIRO_CACHE_DIR:-/var/cache/estaleiro}/seccomp/docker-$version.json
fi
if [ -f "$SECCOMP_SOURCE" ]; then
  python3 "$HERE/seccomp.py" "$SECCOMP_SOURCE" > "$RUN_DIR/seccomp.json.partial" \
    || die "cannot derive the seccomp profile from $SECCOMP_SOURCE"
  mv "$RUN_DIR/seccomp.json.partial" "$RUN_DIR/seccomp.json"
  seccomp_args=(--seccomp-profile "$RUN_DIR/seccomp.json")
else
  echo "sandbox/start.sh: no default seccomp profile at $SECCOMP_SOURCE; the daemon's built-in one is used" >>"$LOG"
  # Loud as well for a real dockerd: Docker before 25 allows io_uring in its built-in profile.
  if [ -n "${version:-}" ]; then
    echo "sandbox/start.sh: warning: no seccomp profile at $SECCOMP_SOURCE (scripts/setup.sh extracts it); io_uring stays allowed" >&2
  fi
fi

group_args=()
GROUP=${SANDBOX_SOCKET_GROUP:-}
if [ -z "$GROUP" ] && getent group estaleiro >/dev/null; then GROUP=estaleiro; fi
if [ -n "$GROUP" ]; then
  getent group "$GROUP" >/dev/null || die "SANDBOX_SOCKET_GROUP=$GROUP: no such group"
  group_args=(--group "$GROUP")
  chgrp "$GROUP" "$RUN_DIR"
fi

setsid nsenter --net="$NETNS" -- dockerd \
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
  "${seccomp_args[@]}" "${group_args[@]}" \
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
