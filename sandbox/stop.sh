#!/usr/bin/env bash
# Stop the sandbox Docker daemon started by sandbox/start.sh and unmount its data-root.
# Usage: sandbox/stop.sh [NAME]      Does nothing if that daemon is not running.
set -euo pipefail

NAME=${1:-estaleiro}
# shellcheck source=../scripts/lib/docker-engine.sh
. "$(dirname "$0")/../scripts/lib/docker-engine.sh"
engine_valid_name "$NAME" || { echo "sandbox/stop.sh: invalid name '$NAME'" >&2; exit 2; }
engine_paths "$NAME" "${SANDBOX_STATE_DIR:-/var/lib}"
die() { echo "sandbox/stop.sh: $*" >&2; exit 1; }

# The image file stays (it holds the base images and build cache); it is only detached so
# the next start remounts a consistent filesystem.
engine_stop 30
# The daemon's network namespace (see start.sh) goes with it.
if [ -e "/run/netns/$NAME" ]; then
  ip netns delete "$NAME" 2>/dev/null || true
fi
echo "stopped"
