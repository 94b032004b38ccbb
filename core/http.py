"""Request helpers that depend on how the app is deployed."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> str:
    """The client's address: X-Forwarded-For counts only on requests from a trusted proxy.

    From anywhere else the header is ignored, since the client wrote it. From a proxy, the
    addresses are read right to left, skipping our own proxies; the first other one is what our
    outermost proxy saw, and anything further left may be forged.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not _trusted(remote):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if _parse(address) is None:
            break  # garbage in the header: what our own proxy saw cannot be trusted further
        if not _trusted(address):
            return address
    return remote


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _trusted(address: str) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(
        parsed in net for net in _networks(tuple(settings.CHC_TRUSTED_PROXIES))
    )


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """CHC_TRUSTED_PROXIES as networks (a bare address is a network of one)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)
