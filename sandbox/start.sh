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
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../scripts/lib/docker-engine.sh
. "$HERE/../scripts/lib/docker-engine.sh"
engine_valid_name "$NAME" || { echo "sandbox/start.sh: invalid name '$NAME' (use a-z, 0-9, -)" >&2; exit 2; }
engine_paths "$NAME" "${SANDBOX_STATE_DIR:-/var/lib}"
DISK_SIZE=${SANDBOX_DISK_SIZE:-16G}
PIDS_MAX=${SANDBOX_PIDS_MAX:-4096}
MEMORY_MAX=${SANDBOX_MEMORY_MAX:-6G}

die() { echo "sandbox/start.sh: $*" >&2; exit 1; }

engine_need_root_tools
command -v ip >/dev/null || die "ip not found: install iproute2"
command -v nsenter >/dev/null || die "nsenter not found: install util-linux"

if engine_answers; then
  echo "already-running"
  exit 0
fi
engine_prepare_run_dir
# Data-root on its own size-capped filesystem: overlay2 has no per-container quota on
# this kernel, so a learner's `RUN dd` must hit this cap, not fill the host disk.
engine_mount_data_root "$DISK_SIZE" "$NAME"

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
engine_wait_started $!
