"""The screenshot script still runs (docs/screenshots/ are made by `python -m tests.console.screenshots`)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.console.screenshots import capture

pytestmark = pytest.mark.browser


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


async def test_screenshots_of_the_queue_and_a_conversation_at_phone_and_desktop_widths(
    sqlite_url: str, tmp_path: Path, browser: object
) -> None:
    # `browser` only applies the skip-or-fail rule for a missing chromium; capture() starts its own.
    saved = await capture(tmp_path, sqlite_url)
    names = sorted(p.name for p in saved)
    assert names == [
        "account-desktop.png",
        "conversation-desktop.png",
        "conversation-phone.png",
        "queue-desktop.png",
        "queue-phone.png",
    ]
    assert png_size(tmp_path / "queue-phone.png") == (780, 1688)  # 390 CSS px at 2x
    assert png_size(tmp_path / "queue-desktop.png") == (1280, 860)
    assert png_size(tmp_path / "conversation-desktop.png")[0] == 1280
