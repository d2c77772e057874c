"""Downloads from addresses a customer chose (LINE's `external` content provider names any https URL)
reach only the public internet: never this machine, the agency's network or a cloud's metadata
service. The check is on the addresses the connection will actually use, after resolution, so a name
that resolves (or later re-resolves) to 10.0.0.5 is refused as 10.0.0.5 would be.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class NotPublic(OSError):
    """The host is, or resolves only to, an address outside the public internet."""


def public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, private, link-local (169.254.169.254), CGNAT, documentation
    # and reserved ranges; multicast is global in places but never a file server.
    return ip.is_global and not ip.is_multicast


def literal(host: str) -> bool:
    """Whether `host` is an address rather than a name (aiohttp connects to those without resolving)."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


class PublicResolver(AbstractResolver):
    """The system's answers for a name, with every non-public address dropped."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [r for r in found if public(r["host"])]
        if not kept:
            raise NotPublic(f"{host} has no public address")
        return kept

    async def close(self) -> None:
        await self._inner.close()


def check_host(host: str | None) -> None:
    """Refuse an address literal outside the public internet before anything connects to it."""
    if not host:
        raise NotPublic("no host")
    if literal(host) and not public(host.strip("[]")):
        raise NotPublic("not a public address")
    if host.rstrip(".").lower() == "localhost" or host.rstrip(".").lower().endswith(".localhost"):
        raise NotPublic("localhost")
