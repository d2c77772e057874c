"""Where a customer's file is downloaded from: LINE's content API, an external https URL (LINE's
`external` content provider), or Telegram (getFile, then the file URL, through PTB).

Every download is capped: past the limit it stops reading and raises TooLarge, so an oversized file
is never held in memory whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import aiohttp
from yarl import URL

from bot.attachments.outside import NotPublic, PublicResolver, check_host
from bot.config import Settings

if TYPE_CHECKING:  # imported where used: PTB is set up (PTB_TIMEDELTA) by bot.handlers.telegram.client
    from telegram import Bot


class TooLarge(Exception):
    """Larger than the limit (declared by the platform or counted while reading)."""


class Gone(Exception):
    """The platform no longer has it (LINE 404/410, Telegram "file not found"): retrying cannot help."""


class FetchFailed(Exception):
    """This attempt failed (timeout, 5xx, 429, not ready): worth trying again later."""


class Source(Protocol):
    async def fetch(self, ref: str, limit: int) -> bytes:
        """The content `ref` ("line:<id>", "url:<https url>", "telegram:<file id>") names."""
        ...

    async def close(self) -> None: ...


async def _read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    length = resp.content_length
    if length is not None and length > limit:
        raise TooLarge()
    out = bytearray()
    async for chunk in resp.content.iter_chunked(64 * 1024):
        out += chunk
        if len(out) > limit:
            raise TooLarge()
    return bytes(out)


class HttpSource:
    """LINE: GET {data base}/v2/bot/message/{id}/content with the channel token; `url:` refs plainly."""

    def __init__(self, settings: Settings, timeout: float = 30.0) -> None:
        token = settings.line_channel_access_token
        self._auth = {"Authorization": f"Bearer {token.get_secret_value()}"} if token is not None else {}
        self._base = settings.line_data_api_base.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=5)
        self._session: aiohttp.ClientSession | None = None
        self._outside_session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    def _outside(self) -> aiohttp.ClientSession:
        # Its own session: its connector resolves through PublicResolver, and LINE's own API (which a
        # test or a proxy may put on a private address) is not held to that.
        if self._outside_session is None or self._outside_session.closed:
            connector = aiohttp.TCPConnector(resolver=PublicResolver(), limit=8)
            self._outside_session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        return self._outside_session

    async def fetch(self, ref: str, limit: int) -> bytes:
        if ref.startswith("url:"):
            url = ref[4:]
            try:
                host = URL(url).host if url.startswith("https://") else None
                check_host(host)
            except (ValueError, NotPublic):
                raise Gone() from None
            return await self._get(self._outside(), url, {}, limit)
        url = f"{self._base}/v2/bot/message/{ref.removeprefix('line:')}/content"
        return await self._get(self._http(), url, self._auth, limit)

    async def _get(self, http: aiohttp.ClientSession, url: str, headers: dict[str, str], limit: int) -> bytes:
        try:
            async with http.get(url, headers=headers, allow_redirects=False) as resp:
                if resp.status in (404, 410):
                    raise Gone()
                if resp.status != 200:
                    # 202: LINE is still preparing a video; 429 and 5xx: later.
                    raise FetchFailed(f"HTTP {resp.status}")
                return await _read_capped(resp, limit)
        except aiohttp.InvalidURL as exc:
            raise Gone() from exc  # e.g. a host aiohttp will not connect to ("2130706433")
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, NotPublic):
                raise Gone() from exc  # resolves only to private addresses: never worth a retry
            raise FetchFailed(type(exc).__name__) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise FetchFailed(type(exc).__name__) from exc

    async def close(self) -> None:
        for session in (self._session, self._outside_session):
            if session is not None:
                await session.close()


class TelegramSource:
    """getFile (which says the size) and the download, both through the Bot's configured base URLs."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def fetch(self, ref: str, limit: int) -> bytes:
        from telegram.error import BadRequest, TelegramError

        try:
            file = await self._bot.get_file(ref.removeprefix("telegram:"))
            if file.file_size is not None and file.file_size > limit:
                raise TooLarge()
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            # "file is too big" (over the Bot API's 20 MB) or an unknown file id.
            if "too big" in str(exc).lower():
                raise TooLarge() from exc
            raise Gone() from exc
        except TelegramError as exc:
            raise FetchFailed(type(exc).__name__) from exc
        if len(data) > limit:
            raise TooLarge()
        return data

    async def close(self) -> None:
        return None
