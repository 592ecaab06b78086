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
# shellcheck source=lib/docker-engine.sh
. "$(dirname "$0")/lib/docker-engine.sh"
engine_valid_name "$NAME" || { echo "host-docker.sh: invalid name '$NAME' (use a-z, 0-9, -)" >&2; exit 2; }
engine_paths "$NAME" "${HOST_DOCKER_STATE_DIR:-/var/lib}"
DISK_SIZE=${HOST_DOCKER_DISK_SIZE:-48G}

die() { echo "host-docker.sh: $*" >&2; exit 1; }

start() {
  engine_need_root_tools
  if engine_answers; then
    echo "already-running"
    return 0
  fi
  engine_prepare_run_dir
  engine_mount_data_root "$DISK_SIZE" "$NAME"
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
  engine_wait_started $!
}

case "$ACTION" in
  start) start ;;
  # dockerd stops its containers first (a dind inside stops its own): a minute.
  stop) engine_stop 60; echo "stopped" ;;
  status) if engine_answers; then echo "running"; else echo "stopped"; exit 3; fi ;;
  *) echo "usage: scripts/host-docker.sh start|stop|status [NAME]" >&2; exit 2 ;;
esac
