#!/bin/sh
# Docker Compose, whichever this machine has: `docker compose` (v2, the Docker CLI plugin)
# when it answers, else Debian's `docker-compose` (v1.29, the only one Debian 12 packages).
# Both read docker-compose.yml and .env from the current directory (and COMPOSE_FILE in .env
# for override files, such as deploy/sandbox-unprivileged.yml). Usage, from the project's
# root: scripts/compose.sh up -d --build   (any docker compose arguments)
set -eu
if docker compose version >/dev/null 2>&1; then
    exec docker compose "$@"
fi
if command -v docker-compose >/dev/null 2>&1; then
    exec docker-compose "$@"
fi
echo "scripts/compose.sh: neither 'docker compose' nor 'docker-compose' is installed (Debian: apt-get install docker-compose)" >&2
exit 127
