"""A LINE `external` content URL is the sender's choice: it is fetched only from the public internet,
never from this machine, the agency's network or a cloud's metadata service (it was: an SSRF)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import pytest

from bot.attachments.outside import public
from bot.attachments.sources import Gone, HttpSource
from bot.config import Settings


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("93.184.215.14", True),
        ("2606:4700::6810:84e5", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # a cloud's metadata service
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        ("not an address", False),
    ],
)
def test_only_public_addresses_count_as_public(address: str, expected: bool) -> None:
    assert public(address) is expected


class Listener:
    """A TCP port on this machine that counts the connections made to it."""

    def __init__(self) -> None:
        self.connections = 0

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@pytest.fixture
async def listener() -> AsyncIterator[tuple[Listener, int]]:
    counting = Listener()
    server = await asyncio.start_server(counting._accepted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield counting, port


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:{port}/a.jpg",
        "https://[::ffff:127.0.0.1]:{port}/a.jpg",
        "https://localhost:{port}/a.jpg",
        "https://LOCALHOST.:{port}/a.jpg",
        # A name (this machine's own) that resolves to a loopback address: refused after resolution.
        "https://{hostname}:{port}/a.jpg",
        "https://2130706433:{port}/a.jpg",  # 127.0.0.1 written as one number
        "http://example.com/a.jpg",
        "https:///a.jpg",
    ],
)
async def test_an_external_url_on_this_machine_is_gone_and_never_connected_to(
    url: str,
    listener: tuple[Listener, int],
    settings_for: Callable[..., Settings],
    sqlite_url: str,
) -> None:
    counting, port = listener
    source = HttpSource(settings_for(sqlite_url))
    try:
        with pytest.raises(Gone):
            await source.fetch("url:" + url.format(port=port, hostname=socket.gethostname()), 1024)
    finally:
        await source.close()
    assert counting.connections == 0
