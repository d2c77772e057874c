"""The command line as a user runs it: a wrong setting is one clear line, the terminal chat talks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COUNSELBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("COUNSELBOT_PORT", "eighty"),
        ("COUNSELBOT_PORT", "70000"),
        ("COUNSELBOT_DATABASE_URL", "mysql://x/y"),
        ("COUNSELBOT_LOG_FORMAT", "xml"),
    ],
)
def test_a_wrong_setting_stops_with_one_line_naming_it(tmp_path: Path, variable: str, value: str) -> None:
    result = run(["serve"], tmp_path, {variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and "Traceback" not in result.stderr


def test_a_wrong_setting_in_dotenv_is_named_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("COUNSELBOT_PORT=-1\n")
    result = run(["chat"], tmp_path)
    assert result.returncode == 2 and "COUNSELBOT_PORT" in result.stderr and "Traceback" not in result.stderr


def test_load_settings_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="COUNSELBOT_MAX_MESSAGE_CHARS"):
        load_settings(max_message_chars=0, _env_file=None)


def test_the_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings(secret_key_file=tmp_path / "secret", _env_file=None)
    first = settings.secret()
    assert first == settings.secret() and len(first) > 40
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0


def test_terminal_chat_shows_numbered_options_and_reaches_a_person(tmp_path: Path) -> None:
    result = run(["chat"], tmp_path, stdin="hello\ntalk to a person\n")
    assert result.returncode == 0, result.stderr
    assert "1. " in result.stdout and "How can I help you?" in result.stdout
    assert "I have asked a person from our team to take over" in result.stdout
    assert (tmp_path / "counselbot.db").exists()


def test_regression_a_returning_customer_in_a_new_chat_process_did_not_crash(tmp_path: Path) -> None:
    # The second process placed the customer's stored rows before SQLAlchemy had configured its
    # mappers (AttributeError in hotrows.place): the chat crashed before its first answer.
    first = run(["chat", "--user", "alice"], tmp_path, stdin="hello\n")
    assert first.returncode == 0, first.stderr
    again = run(["chat", "--user", "alice"], tmp_path, stdin="hello\n")
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    assert "How can I help you?" in again.stdout


def test_terminal_chat_in_japanese(tmp_path: Path) -> None:
    result = run(["chat", "--locale", "ja"], tmp_path, stdin="")
    assert result.returncode == 0, result.stderr
    assert "どのようなご用件でしょうか？" in result.stdout


def test_db_upgrade_reports_success(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0 and "up to date" in result.stdout
