"""The console against oversized and malformed input: uploads refused past their cap before anything
past it is read or spooled, a 64-bit-overflowing id a 404, an out-of-range CSV time a row error."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.console import validate
from storage.models import Booking
from tests.console.support import add_agent, count, login_form, running

BOUNDARY = "abuse-boundary"


class SpoolWatch:
    """The largest temporary file this process held open in `root` (unlinked ones too)."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self.largest = -1

    def look(self) -> None:
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
                if target.startswith(self.root):
                    self.largest = max(self.largest, os.stat(f"/proc/self/fd/{fd}").st_size)
            except OSError:
                continue  # closed meanwhile


def multipart_head(fields: dict[str, str], filename: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    return "".join(parts).encode()


async def chunks(head: bytes, total: int, watch: SpoolWatch) -> AsyncIterator[bytes]:
    """`head`, then `total` bytes of file in 64 KiB chunks, looking at the spool between chunks."""
    yield head
    sent = 0
    while sent < total:
        watch.look()
        piece = b"x" * min(64 * 1024, total - sent)
        sent += len(piece)
        yield piece


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SpoolWatch:
    root = tmp_path / "spool"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return SpoolWatch(root)


async def _post_streamed(
    client: httpx.AsyncClient, path: str, head: bytes, total: int, watch: SpoolWatch, csrf: str = ""
) -> int | None:
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "origin": str(client.base_url)}
    if csrf:
        headers["x-csrf-token"] = csrf
    try:
        response = await client.post(path, content=chunks(head, total, watch), headers=headers)
    except httpx.HTTPError:
        return None  # the server answered and closed before the client had sent it all
    return response.status_code


async def declared_only(base: str, path: str, length: int) -> bytes:
    """The status line for a request that declares `length` bytes and sends none of them."""
    url = httpx.URL(base)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {url.host}\r\nContent-Length: {length}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n".encode()
        )
        await writer.drain()
        async with asyncio.timeout(5):  # answered at once, without waiting for the body
            return await reader.readline()
    finally:
        writer.close()


async def test_the_sign_in_form_refuses_big_uploads_and_spools_nothing(
    sqlite_settings: Settings, spool: SpoolWatch
) -> None:
    async with running(sqlite_settings) as app, httpx.AsyncClient(base_url=app.base, timeout=30) as client:
        token = await login_form(client)
        head = multipart_head({"csrf": token, "email": "x@agency.example", "password": "p"}, "big.bin")
        status = await _post_streamed(client, "/console/login", head, 64 * 1024 * 1024, spool)
        assert status in (400, 413, None)
        line = await declared_only(app.base, "/console/login", 2 * 1024**3)
        assert line.startswith(b"HTTP/1.1 413")
        small = await client.post(
            "/console/login", data={"csrf": token, "email": "x@agency.example"}, files={"f": ("a", b"a")}
        )
        assert small.status_code == 400  # the sign-in form takes no file at all
        spool.look()
        assert spool.largest == -1, "a temporary file was opened"
        assert not os.listdir(spool.root)


async def test_the_csv_import_refuses_an_upload_past_its_cap_while_it_streams(
    sqlite_settings: Settings, spool: SpoolWatch
) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        cap = sqlite_settings.max_upload_bytes
        head = multipart_head({"csrf": ann.csrf, "encoding": "auto"}, "bookings.csv")
        status = await _post_streamed(ann.client, "/console/bookings/import", head, 3 * cap, spool, ann.csrf)
        assert status in (413, None)
        line = await declared_only(app.base, "/console/bookings/import", cap + 1)
        assert line.startswith(b"HTTP/1.1 413")
        # Starlette spools a file past 1 MB (which shows the watch works), never more than the cap.
        assert 1024 * 1024 < spool.largest <= cap
        spool.look()
        assert not os.listdir(spool.root)
        assert await count(app.db, Booking) == 0


async def test_an_id_past_64_bits_is_not_found(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        for path in (
            "/console/conversations/9223372036854775808",
            "/console/conversations/99999999999999999999999999",
            "/console/bookings/9223372036854775807",
            "/console/customers/18446744073709551616",
        ):
            response = await ann.client.get(path)
            assert response.status_code == 404, path
        reply = await ann.post("/console/conversations/9223372036854775808/reply", {"text": "hi"})
        assert reply.status_code == 404


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+14:00", "0001-01-01 00:00", "9999-12-31T23:59:59-14:00", "1850-01-01 10:00"],
)
def test_a_time_out_of_range_is_a_field_error(value: str) -> None:
    with pytest.raises(validate.FieldError, match="out of range"):
        validate.when_jst(value, "service_at")
    assert validate.when_jst("2027-02-01 10:00", "service_at") is not None


async def test_the_import_answers_an_out_of_range_time_with_a_row_error(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@agency.example", "Ann")
        ann = await app.login("ann@agency.example")
        csv = (
            b"reference,clinic,kind,service_at,customer_email,customer_name\r\n"
            b"JP-1,Ginza Clinic,surgery,0001-01-01T00:00:00+14:00,a@example.jp,A\r\n"
        )
        response = await ann.post(
            "/console/bookings/import", {"encoding": "utf-8"}, files={"file": ("b.csv", csv, "text/csv")}
        )
        assert 400 <= response.status_code < 500 and "範囲外です" in response.text
        assert await count(app.db, Booking) == 0
