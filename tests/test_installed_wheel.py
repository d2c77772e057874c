"""What `pip install` puts on a server is what the tests test.

The wheel is built from the checkout's files, installed into a fresh virtual environment outside the
checkout, and run from an unrelated directory: `counselbot db upgrade` on an empty PostgreSQL database,
`counselbot serve` with LINE and Telegram pointed at the fake platforms, a Japanese conversation in the
web chat, a Thai one through a signed LINE webhook (the replies are in those languages), /readyz, and
the console's sign-in page with its stylesheet. Nothing here imports the checkout's `bot` in the
installed server, so a file left out of the wheel (a catalog, a template, a migration) fails here.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.fakes.line_api import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    FakeLine,
    event_from,
    run_fake_line,
    sign,
    webhook_body,
)
from tests.fakes.telegram_api import WEBHOOK_SECRET, FakeTelegram, run_fake_telegram
from tests.support.databases import PostgresFactory
from tests.support.processes import serve_process
from tests.support.wait import eventually

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage")
THAI = re.compile(r"[\u0e00-\u0e7f]")
KANA = re.compile(r"[\u3040-\u30ff]")


@dataclass(frozen=True)
class Install:
    wheel: Path
    venv: Path

    @property
    def counselbot(self) -> str:
        return str(self.venv / "bin" / "counselbot")


def _run(*cmd: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _source_files() -> list[str]:
    """What a fresh clone has: tracked files plus new ones not yet committed (never ignored ones)."""
    out = _run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    return [p for p in out.split("\0") if p and (ROOT / p).is_file()]


def _clean_env() -> dict[str, str]:
    """The environment minus anything that would let the install see the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "COUNSELBOT_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Install]:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    for rel in _source_files():
        target = source / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    dist = base / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source), cwd=base)
    wheel = next(dist.glob("counselbot-*.whl"))
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", str(venv), cwd=base)
    _run(str(venv / "bin" / "pip"), "install", "-q", str(wheel), cwd=base, env=_clean_env())
    yield Install(wheel, venv)


def test_every_file_the_packages_read_is_in_the_wheel(installed: Install) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
    wanted = [p for p in _source_files() if p.split("/", 1)[0] in PACKAGES and "__pycache__" not in p]
    missing = [p for p in wanted if p not in names]
    assert not missing, f"left out of the wheel: {missing}"
    assert any(n.endswith("ja/LC_MESSAGES/counselbot.po") for n in names)


def test_the_install_does_not_import_the_checkout(installed: Install, tmp_path: Path) -> None:
    python = str(installed.venv / "bin" / "python")
    where = _run(
        python, "-c", "import bot, storage; print(bot.__file__); print(storage.__file__)", cwd=tmp_path
    )
    for line in where.split():
        assert Path(line).is_relative_to(installed.venv), line


async def test_installed_wheel_serves_every_channel_in_the_customers_language(
    installed: Install, pg_factory: PostgresFactory, tmp_path: Path
) -> None:
    url = await asyncio.to_thread(pg_factory.empty)
    env = {**_clean_env(), "COUNSELBOT_DATABASE_URL": url}
    await asyncio.to_thread(_run, installed.counselbot, "db", "upgrade", cwd=tmp_path, env=env)
    async with run_fake_line() as line, run_fake_telegram() as telegram:
        extra = _channels(line, telegram)
        with serve_process(url, tmp_path, extra, command=(installed.counselbot,)) as (base, _proc):
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                assert (await http.get("/readyz")).status_code == 200
                await _japanese_web_chat(http)
                await _thai_line(http, line)
                await _console_sign_in_page(http)


def _channels(line: FakeLine, telegram: FakeTelegram) -> dict[str, str]:
    return {
        **_clean_env(),
        "COUNSELBOT_LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "COUNSELBOT_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "COUNSELBOT_LINE_API_BASE": line.base_url,
        "COUNSELBOT_TELEGRAM_BOT_TOKEN": telegram.token,
        "COUNSELBOT_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "COUNSELBOT_TELEGRAM_API_BASE": telegram.base_url,
        "COUNSELBOT_SCHEDULER_ENABLED": "false",
    }


async def _japanese_web_chat(http: httpx.AsyncClient) -> None:
    page = await http.get("/", headers={"accept-language": "ja"})
    assert page.status_code == 200 and 'lang="ja"' in page.text
    sent = await http.post(
        "/api/chat/messages", json={"id": "wheel-ja-1", "text": "予約をキャンセルしたいです"}
    )
    assert sent.json() == {"status": "handled"}

    async def answered_in_japanese() -> bool:
        history = (await http.get("/api/chat/history")).json()["messages"]
        bot = [str(m["text"]) for m in history if m["author"] != "customer"]
        return bool(bot) and all(KANA.search(t) for t in bot)

    await eventually(answered_in_japanese)


async def _thai_line(http: httpx.AsyncClient, line: FakeLine) -> None:
    user = "U" + "7" * 32
    line.add_profile(user, language="th")
    token = line.issue_reply_token(user)
    body = webhook_body(event_from("text", user_id=user, reply_token=token, message__text="สวัสดีค่ะ"))
    response = await http.post("/webhooks/line", content=body, headers={"x-line-signature": sign(body)})
    assert response.status_code == 200
    await line.wait_for(lambda: bool(line.texts(user)))
    assert all(THAI.search(t) for t in line.texts(user)), line.texts(user)


async def _console_sign_in_page(http: httpx.AsyncClient) -> None:
    page = await http.get("/console/login")
    assert page.status_code == 200
    # In Japanese: the console's own catalog (bot/console/locales) is in the wheel too.
    assert '<html lang="ja">' in page.text and "サインイン" in page.text, page.text[:500]
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert href is not None, page.text[:500]
    css = await http.get(href.group(1))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "{" in css.text
