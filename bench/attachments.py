"""What an attachment costs: the webhook's answer with an image (stored pending, not fetched) next to
a text's, and the work the fetch job does afterwards (type check, Pillow re-encode and thumbnail).

    .venv/bin/python bench/attachments.py            # ~30 s

The real app on a fresh SQLite database against the fake LINE platform (tests/fakes); 200 signed
webhooks of each kind one after another, then the clean-up of phone-sized photos. A measurement,
not a test: it prints figures.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The repository root, not bench/ (whose telegram.py would shadow the package).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx  # noqa: E402

from bot.attachments import images  # noqa: E402
from bot.attachments.sniff import sniff  # noqa: E402
from bot.config import Settings  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.fakes.content import jpeg_with_gps  # noqa: E402
from tests.fakes.line_api import ACCESS_TOKEN, CHANNEL_SECRET, event_from, run_fake_line, sign, webhook_body  # noqa: E402
from tests.support.server import serve_app  # noqa: E402

N = 200


def ms(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[int(len(values) * 0.99) - 1]
    return f"median {statistics.median(values) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"


async def webhooks() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await asyncio.to_thread(upgrade, url)
        async with run_fake_line() as fake:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=url,
                secret_key="bench-secret",
                line_channel_secret=CHANNEL_SECRET,
                line_channel_access_token=ACCESS_TOKEN,
                line_api_base=fake.base_url,
                line_data_api_base=fake.base_url,
                scheduler_enabled=False,
            )
            async with serve_app(settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
                for kind in ("text", "image"):
                    took = []
                    for i in range(N):
                        user = f"U{kind}{i:030d}"[:33]
                        event = event_from(kind, user_id=user, reply_token=fake.issue_reply_token(user))
                        body = webhook_body(event)
                        headers = {"content-type": "application/json", "x-line-signature": sign(body)}
                        started = time.perf_counter()
                        response = await http.post("/webhooks/line", content=body, headers=headers)
                        took.append(time.perf_counter() - started)
                        assert response.status_code == 200, (response.status_code, response.text)
                    print(f"webhook answered, {kind:5}: {ms(took)} ({N} events, one at a time)")


def cleanup() -> None:
    for size in ((1280, 960), (4032, 3024)):
        photo = jpeg_with_gps(size)
        took = []
        for _ in range(5):
            started = time.perf_counter()
            found = sniff(photo[:64])
            assert found is not None
            cleaned = images.clean(photo, found.mime)
            took.append(time.perf_counter() - started)
        print(
            f"sniff + re-encode + thumbnail {size[0]}x{size[1]} ({len(photo) // 1024} KiB in, "
            f"{len(cleaned.data) // 1024} KiB out, thumb {len(cleaned.thumb) // 1024} KiB): "
            f"median {statistics.median(took) * 1000:.0f} ms (in a thread, off the event loop)"
        )


if __name__ == "__main__":
    asyncio.run(webhooks())
    cleanup()
