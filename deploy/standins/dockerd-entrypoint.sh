#!/bin/sh
# dockerd-entrypoint.sh of the docker:dind stand-in (deploy/standins/README.md): as the
# official one, with DOCKER_TLS_CERTDIR set it makes a CA, a server certificate (for the
# container's host name, localhost and DOCKER_TLS_SAN) and a client certificate, once, in
# $DOCKER_TLS_CERTDIR/{ca,server,client}, and starts dockerd with --tlsverify on 2376
# (and the unix socket). `dockerd` is looked up on PATH, as the official script does, so a
# wrapper placed first on PATH (deploy/sandbox-entrypoint.sh) runs instead.
set -eu
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then set -- dockerd "$@"; fi
if [ "$1" != dockerd ]; then exec "$@"; fi
shift

make_certs() {
    dir=$1
    mkdir -p "$dir/ca" "$dir/server" "$dir/client"
    if [ ! -s "$dir/ca/key.pem" ]; then
        openssl genrsa -out "$dir/ca/key.pem" 4096 2>/dev/null
        openssl req -new -x509 -days 825 -key "$dir/ca/key.pem" -out "$dir/ca/cert.pem" -subj "/CN=docker:dind CA" 2>/dev/null
    fi
    if [ ! -s "$dir/server/cert.pem" ]; then
        san="DNS:$(hostname),DNS:localhost,IP:127.0.0.1${DOCKER_TLS_SAN:+,$DOCKER_TLS_SAN}"
        openssl genrsa -out "$dir/server/key.pem" 4096 2>/dev/null
        openssl req -new -key "$dir/server/key.pem" -out "$dir/server/csr.pem" -subj "/CN=docker:dind server" 2>/dev/null
        printf 'extendedKeyUsage = serverAuth\nsubjectAltName = %s\n' "$san" > "$dir/server/openssl.cnf"
        openssl x509 -req -in "$dir/server/csr.pem" -CA "$dir/ca/cert.pem" -CAkey "$dir/ca/key.pem" \
            -CAcreateserial -out "$dir/server/cert.pem" -days 825 -extfile "$dir/server/openssl.cnf" 2>/dev/null
        cp "$dir/ca/cert.pem" "$dir/server/ca.pem"
    fi
    if [ ! -s "$dir/client/cert.pem" ]; then
        openssl genrsa -out "$dir/client/key.pem" 4096 2>/dev/null
        openssl req -new -key "$dir/client/key.pem" -out "$dir/client/csr.pem" -subj "/CN=docker:dind client" 2>/dev/null
        printf 'extendedKeyUsage = clientAuth\n' > "$dir/client/openssl.cnf"
        openssl x509 -req -in "$dir/client/csr.pem" -CA "$dir/ca/cert.pem" -CAkey "$dir/ca/key.pem" \
            -CAcreateserial -out "$dir/client/cert.pem" -days 825 -extfile "$dir/client/openssl.cnf" 2>/dev/null
        cp "$dir/ca/cert.pem" "$dir/client/ca.pem"
        chmod 0644 "$dir/client/"*.pem
    fi
}

if [ -n "${DOCKER_TLS_CERTDIR:-}" ]; then
    make_certs "$DOCKER_TLS_CERTDIR"
    set -- --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2376 --tlsverify \
        --tlscacert "$DOCKER_TLS_CERTDIR/server/ca.pem" --tlscert "$DOCKER_TLS_CERTDIR/server/cert.pem" \
        --tlskey "$DOCKER_TLS_CERTDIR/server/key.pem" "$@"
else
    set -- --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 "$@"
fi
exec dockerd "$@"
