# A Docker engine of the project's own, beside any the machine runs: its socket, pidfile,
# exec-root under /run/NAME, its data-root on a sparse ext4 image under STATE_DIR. Sourced by
# sandbox/start.sh, sandbox/stop.sh (the sandbox daemons) and scripts/host-docker.sh (the
# engine the live Compose stack runs on); each adds its own dockerd flags.
#
# engine_paths NAME STATE_DIR sets RUN_DIR SOCK PIDFILE DATA_ROOT DISK_IMAGE LOG. The
# functions report through `die`, which the sourcing script defines with its own name.

engine_paths() {
  RUN_DIR=/run/$1
  SOCK=$RUN_DIR/docker.sock
  PIDFILE=$RUN_DIR/docker.pid
  DATA_ROOT=$2/$1-docker
  DISK_IMAGE=$2/$1-docker.img
  LOG=/var/log/$1-dockerd.log
}

engine_valid_name() {
  case "$1" in
    *[!a-z0-9-]*|"") return 1 ;;
  esac
}

# The socket answering /_ping is the only proof the daemon is up.
engine_ping() {
  python3 - "$SOCK" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
sys.exit(0 if b" 200 " in s.recv(256) else 1)
PY
}

engine_answers() { [ -S "$SOCK" ] && engine_ping; }

engine_need_root_tools() {
  [ "$(id -u)" = 0 ] || die "must run as root (it mounts a filesystem and starts dockerd)"
  command -v dockerd >/dev/null || die "dockerd not found: install Debian's docker.io"
  command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found: install e2fsprogs"
}

# The run directory made, a stale pidfile of a crashed daemon removed (dockerd would refuse
# to start), a live one that does not answer refused.
engine_prepare_run_dir() {
  mkdir -p "$RUN_DIR" "$(dirname "$DATA_ROOT")"
  chmod 0710 "$RUN_DIR"
  if [ -f "$PIDFILE" ]; then
    local old
    old=$(cat "$PIDFILE" 2>/dev/null || true)
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
      die "a dockerd (pid $old) owns $PIDFILE but does not answer on $SOCK; see $LOG"
    fi
    rm -f "$PIDFILE"
  fi
  rm -f "$SOCK"
}

# The data-root on its own size-capped filesystem (a sparse image of SIZE, made once and
# kept: it holds the images and the build cache between runs).
engine_mount_data_root() {
  local size=$1 label=$2
  mountpoint -q "$DATA_ROOT" 2>/dev/null && return 0
  mkdir -p "$DATA_ROOT"
  if [ ! -f "$DISK_IMAGE" ]; then
    truncate -s "$size" "$DISK_IMAGE"
    mkfs.ext4 -q -F -L "$label" "$DISK_IMAGE"
  else
    e2fsck -p "$DISK_IMAGE" >/dev/null 2>&1 || true
  fi
  mount -o loop,noatime "$DISK_IMAGE" "$DATA_ROOT" || die "cannot loop-mount $DISK_IMAGE on $DATA_ROOT"
}

# Waits for the dockerd of pid $1 to answer: prints "started", or dies with the reason and
# the last lines of its log.
engine_wait_started() {
  local pid=$1 why=""
  for _ in $(seq 1 120); do
    if engine_answers; then
      echo "started"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      why="dockerd exited while starting"
      break
    fi
    sleep 0.5
  done
  why=${why:-"the engine did not answer on $SOCK within 60 s"}
  # The sentence first, then the daemon's own words for whoever has to fix it.
  die "$why. Its log is $LOG; the last lines:
$(tail -n 30 "$LOG" 2>/dev/null | sed 's/^/    /' || true)"
}

# The daemon stopped (TERM, then KILL after $1 seconds: dockerd stops its containers
# first), and its data-root unmounted with whatever containers left mounted below it. The
# image file stays.
engine_stop() {
  local patience=${1:-30}
  if [ -f "$PIDFILE" ]; then
    local pid
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 $((patience * 2))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
    fi
    rm -f "$PIDFILE"
  fi
  if mountpoint -q "$DATA_ROOT" 2>/dev/null; then
    { grep -o " $DATA_ROOT/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    umount "$DATA_ROOT" 2>/dev/null || umount -l "$DATA_ROOT" || true
  fi
}
