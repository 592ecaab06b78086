#!/usr/bin/env bash
# axe-core, the accessibility engine the browser tests inject into each page: fetched from the
# npm registry (no CDN), its tarball checked against the registry's sha512 integrity, kept in a
# cache keyed by version and integrity. Prints the path of axe.min.js. Usage: scripts/axe.sh
set -euo pipefail

AXE_VERSION=4.10.2
AXE_INTEGRITY=sha512-RE3mdQ7P3FRSe7eqCWoeQ/Z9QXrtniSjp1wUjt5nRC3WIpz5rSCve6o3fsZ2aCpJtrZjSZgjwXAoTO5k4tEI0w==
AXE_TARBALL=https://registry.npmjs.org/axe-core/-/axe-core-$AXE_VERSION.tgz

cache=${ESTALEIRO_CACHE_DIR:-/var/cache/estaleiro}
if ! mkdir -p "$cache/axe-core" 2>/dev/null || [ ! -w "$cache/axe-core" ]; then
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/estaleiro
fi
key=$(printf '%s' "$AXE_INTEGRITY" | sha256sum | cut -c1-16)
dir=$cache/axe-core/$AXE_VERSION-$key
if [ ! -f "$dir/axe.min.js" ]; then
  mkdir -p "$cache/axe-core"
  tmp=$(mktemp -d "$cache/axe-core/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  curl -fsSL --retry 3 -o "$tmp/axe.tgz" "$AXE_TARBALL"
  actual="sha512-$(openssl dgst -sha512 -binary "$tmp/axe.tgz" | base64 -w0)"
  if [ "$actual" != "$AXE_INTEGRITY" ]; then
    echo "axe-core $AXE_VERSION: the tarball's integrity is $actual, not $AXE_INTEGRITY" >&2
    exit 1
  fi
  tar -xzf "$tmp/axe.tgz" -C "$tmp" package/axe.min.js package/LICENSE
  mkdir -p "$tmp/out"
  mv "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$tmp/out/"
  rm -rf "$dir"
  mv "$tmp/out" "$dir"
fi
echo "$dir/axe.min.js"
