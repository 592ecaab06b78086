#!/bin/sh
# docker-entrypoint.sh of the redis stand-in (deploy/standins/README.md): as the official
# image, redis-server runs as the redis user in /data, which it owns.
set -eu
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
