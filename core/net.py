"""Who is asking: the client's address, as the deployment delivers it."""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the address the farthest
    trusted one saw. Each proxy appends what it saw to X-Forwarded-For, so only the last
    TRUSTED_PROXY_COUNT entries are facts; anything left of them the client may have forged."""
    # Empty when the server gave none (the test client's force_login): django-axes stores
    # the address in an IP column, which PostgreSQL refuses to fill with a word.
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    """Whether a host name (no port; brackets allowed) is this machine: browsers treat such
    an origin as secure, and Estaleiro accepts plain http:// to it."""
    host = (host or "").strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
