#!/usr/bin/env bash
# Install what Estaleiro needs on a Debian machine, then prepare the project.
# Idempotent and quick when nothing changed. Usage: scripts/setup.sh [--with-browser]
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="docker.io redis-server debootstrap busybox-static gettext e2fsprogs python3-venv iproute2 skopeo"
# Tests also drive a real browser, validate the Compose file with Debian's docker-compose and
# run the scale-out test on PostgreSQL; dpkg-dev indexes the offline apt repository of the
# test that builds the project's own image.
if [ "${1:-}" = "--with-browser" ]; then APT_PACKAGES="$APT_PACKAGES chromium docker-compose postgresql dpkg-dev"; fi

missing=""
for pkg in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Missing Debian packages:$missing. Run as root (or: sudo apt-get install$missing)." >&2
    exit 1
  fi
  echo "==> Installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The sandbox daemon's seccomp profile is derived from Docker's default profile for the
# installed dockerd (sandbox/seccomp.py). Debian ships that JSON file in the docker.io
# source package's -dev package; only the file is taken (no install, no Go toolchain).
CACHE_DIR=${ESTALEIRO_CACHE_DIR:-/var/cache/estaleiro}
if command -v dockerd >/dev/null; then
  docker_version=$(dockerd --version | sed -n 's/^Docker version \([^, ]*\).*/\1/p')
  seccomp_default=$CACHE_DIR/seccomp/docker-$docker_version.json
  if [ ! -f "$seccomp_default" ] && [ "$(id -u)" = 0 ]; then
    echo "==> Docker's default seccomp profile for dockerd $docker_version"
    # The source package's version: a binary rebuild (docker.io 20.10.24+dfsg1-1+deb12u1+b6)
    # shares it with the -dev package (…+deb12u1), which is not rebuilt per architecture.
    deb_version=$(dpkg-query -W -f='${source:Version}' docker.io 2>/dev/null || true)
    tmp=$(mktemp -d)
    if (cd "$tmp" && apt-get download -qq "golang-github-docker-docker-dev=$deb_version" >/dev/null 2>&1) \
        && dpkg-deb -x "$tmp"/golang-github-docker-docker-dev_*.deb "$tmp/x"; then
      mkdir -p "$CACHE_DIR/seccomp"
      cp "$tmp/x/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json" "$seccomp_default"
    else
      echo "    not found for docker.io $deb_version: the sandbox daemon keeps its built-in profile" >&2
    fi
    rm -rf "$tmp"
  fi
fi

# Python packages in a venv, from a wheelhouse cached on disk by the requirements' hash,
# so a second set-up (or a CI run on the same machine) installs offline in seconds.
# Debian's own Python by default: make run serves as the unprivileged user estaleiro, who
# must be able to run the venv's interpreter (a python3 under /root, e.g. pyenv's, is not).
if [ -z "${PYTHON:-}" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
REQ_HASH=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
WHEELHOUSE=$CACHE_DIR/wheelhouse/$REQ_HASH
if [ ! -x .venv/bin/python ]; then
  echo "==> Creating the virtual environment (.venv)"
  "$PYTHON" -m venv .venv
fi
if [ "$(cat .venv/.requirements-hash 2>/dev/null)" != "$REQ_HASH" ]; then
  if [ ! -f "$WHEELHOUSE/.complete" ]; then
    echo "==> Downloading Python packages into $WHEELHOUSE"
    mkdir -p "$WHEELHOUSE"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip download -q -d "$WHEELHOUSE" -r requirements-dev.txt
    touch "$WHEELHOUSE/.complete"
  fi
  echo "==> Installing Python packages"
  .venv/bin/pip install -q --no-index --find-links "$WHEELHOUSE" -r requirements-dev.txt
  echo "$REQ_HASH" > .venv/.requirements-hash
fi

if [ "${1:-}" = "--with-browser" ]; then
  echo "==> axe-core for the accessibility audit of the browser tests"
  scripts/axe.sh >/dev/null
fi

echo "==> Compiling translations, collecting static files, migrating"
.venv/bin/python manage.py compilemessages --ignore=.venv -v 0
.venv/bin/python manage.py collectstatic --noinput -v 0
.venv/bin/python manage.py migrate --noinput -v 0
# The LTI tool's signing key, made once (rotation: manage.py lti_keys --rotate, docs/LTI.md).
.venv/bin/python manage.py lti_keys -v 0
