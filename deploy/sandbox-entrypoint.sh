#!/bin/sh
# Entry point of the `sandbox` service of docker-compose.yml (image docker:dind, privileged).
#
# It adds to dind's own entry point (which makes the TLS certificates and starts dockerd
# with --tlsverify on port 2376) what the grading code expects of the sandbox daemon's host
# (DESIGN.md, "The sandbox"):
#
#  1. A data-root on its own size-capped filesystem: an ext4 image file (SANDBOX_DISK_SIZE,
#     default 16G, sparse) kept on the sandbox-data volume and loop-mounted, so a learner's
#     `RUN dd` fills that filesystem and not the disk of the host. SANDBOX_DISK_SIZE=0 puts
#     the data-root straight on the volume, with no cap.
#  2. A static busybox at /bin/busybox. The worker bind-mounts that path *of the daemon's
#     host* read-only into learners' containers for HTTP probes. Alpine's own busybox is
#     linked against musl and would not run in a Debian-based image, so the static one
#     (Debian's busybox-static, which the sandbox-probe service copies out of the Estaleiro
#     image into the sandbox-probe volume) is bind-mounted over it.
#
# Debian's busybox lacks applets that dind's scripts use (mountpoint, for one), so the swap
# must come after those scripts. Hence two roles for this one file: run by Compose, it
# prepares the disk, puts a copy of itself first on PATH under the name "dockerd" and hands
# over to dind's entry point; run as "dockerd" at the end of dind's scripts, it mounts the
# static busybox and starts the real dockerd with the data-root.
#
# ESTALEIRO_SANDBOX_ROOT prefixes every path the script touches; the tests set it to a
# scratch directory. In the container it is empty.
set -eu

ROOT=${ESTALEIRO_SANDBOX_ROOT:-}
PROBE=$ROOT${SANDBOX_PROBE_BUSYBOX:-/estaleiro/probe/busybox}
VOLUME_DIR=$ROOT/var/lib/docker            # the sandbox-data volume
DISK_IMAGE=$VOLUME_DIR/estaleiro-sandbox.img
CAPPED_DATA_ROOT=$ROOT/var/lib/estaleiro-docker
HOOK_DIR=$ROOT/usr/local/libexec/estaleiro
REAL_DOCKERD=$ROOT/usr/local/bin/dockerd

say() { echo "estaleiro-sandbox: $*" >&2; }
die() { say "$*"; exit 1; }

if [ "$(basename "$0")" = dockerd ]; then
    # Second role: dind's scripts are done with Alpine's busybox.
    mount -o bind "$PROBE" "$ROOT/bin/busybox" || die "cannot bind-mount $PROBE on /bin/busybox"
    exec "$REAL_DOCKERD" --data-root "${ESTALEIRO_SANDBOX_DATA_ROOT:?}" "$@"
fi

# First role. The probe must be there and must run here: a dynamically linked glibc
# busybox would not start on Alpine, nor in learners' images.
[ -f "$PROBE" ] || die "no busybox at $PROBE: the sandbox-probe service fills that volume (docker compose up sandbox-probe)"
"$PROBE" true 2>/dev/null || die "$PROBE does not run here: it must be a static busybox (Debian's busybox-static)"

# Without privileged (deploy/sandbox-unprivileged.yml): Docker covers parts of /proc and
# /sys (kcore, sysrq-trigger, /sys/firmware, ... with /dev/null, tmpfs or read-only binds),
# and while they are covered the kernel refuses a fresh /proc and /sys to the nested
# user-namespaced containers. A privileged container has none of these covers; this
# removes them, innermost first (the cgroup tree mounted on /sys/fs/cgroup stays).
if [ "${SANDBOX_UNMASK_PROC:-0}" = 1 ] && [ -z "$ROOT" ]; then
    awk '$2 ~ "^/proc/" || ($2 ~ "^/sys/" && $2 !~ "^/sys/fs/cgroup") {print $2}' /proc/self/mounts \
        | sort -r | while read -r covered; do
        umount "$covered" 2>/dev/null || umount -l "$covered" || say "cannot uncover $covered"
    done
fi

size=${SANDBOX_DISK_SIZE:-16G}
if [ "$size" = 0 ]; then
    say "SANDBOX_DISK_SIZE=0: no disk cap; a build can fill the disk that holds Docker's volumes"
    data_root=$VOLUME_DIR
else
    if [ ! -f "$DISK_IMAGE" ]; then
        say "creating the sandbox filesystem: $size, sparse, in $DISK_IMAGE"
        rm -f "$DISK_IMAGE.partial"
        truncate -s "$size" "$DISK_IMAGE.partial"
        mkfs.ext4 -q -F -L estaleiro-sandbox "$DISK_IMAGE.partial"
        mv "$DISK_IMAGE.partial" "$DISK_IMAGE"
    else
        # After an unclean stop: replay the journal, repair what is safe to repair.
        rc=0
        e2fsck -p "$DISK_IMAGE" >&2 || rc=$?
        [ "$rc" -lt 4 ] || die "e2fsck found errors it cannot repair in $DISK_IMAGE (exit $rc); run e2fsck -f by hand"
    fi
    mkdir -p "$CAPPED_DATA_ROOT"
    if ! mountpoint -q "$CAPPED_DATA_ROOT"; then
        mount -o loop,noatime "$DISK_IMAGE" "$CAPPED_DATA_ROOT" \
            || die "cannot loop-mount $DISK_IMAGE (is the service privileged? are loop devices available?); SANDBOX_DISK_SIZE=0 runs without a cap"
    fi
    data_root=$CAPPED_DATA_ROOT
fi
export ESTALEIRO_SANDBOX_DATA_ROOT="$data_root"

mkdir -p "$HOOK_DIR"
cp "$0" "$HOOK_DIR/dockerd"
chmod 0755 "$HOOK_DIR/dockerd"
export PATH="$HOOK_DIR:$PATH"
exec dockerd-entrypoint.sh "$@"
