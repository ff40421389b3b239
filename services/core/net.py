"""Who is asking, on the network: the client's address as far as the portal can trust it.

A client can write anything into `X-Forwarded-For`, so the header is believed only when the
connection comes from a proxy named in TRUSTED_PROXIES (addresses or networks; none by
default). Then the forwarded addresses are read from the right, skipping the trusted
proxies, and the first other one is the client's. Sign-in lockouts and rate limits count
per this address."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str:
    peer = request.META.get("REMOTE_ADDR", "") or ""
    if not _trusted(peer):
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if not _trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return peer  # a trusted proxy passed on something that is no address
    return peer
