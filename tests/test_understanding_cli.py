"""`counselbot understand`: through register() on a fresh parser, and as a user runs the console script."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.commands.understand import register

NOW = "2025-12-18T10:00:00+09:00"
CORPUS = Path(__file__).parent / "understanding" / "corpus.tsv"
LINES = ["明天要取消预约", "３０分くらい遅れます", "I'm sick, can't come tomorrow", "", "English"]
EXPECTED: list[dict[str, Any]] = [
    {"language": "zh-Hans", "intent": "cancel", "minutes_late": None, "date": "2025-12-19"},
    {"language": "ja", "intent": "late", "minutes_late": 30, "date": None},
    {"language": "en", "intent": "special_circumstance", "minutes_late": None, "date": "2025-12-19"},
    {"language": "en", "intent": "other", "minutes_late": None, "date": None},
    {"language": "en", "intent": "other", "minutes_late": None, "date": None, "language_choice": "en"},
]


def run_registered(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="counselbot")
    register(parser.add_subparsers())
    args = parser.parse_args(["understand", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def subset(got: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    return {k: got.get(k) for k in want}


def test_one_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_registered(["明天要取消预约", "--now", NOW], capsys)
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    assert json.loads(out) == {
        **EXPECTED[0],
        "language_choice": None,
        "negated": [],
        "confident_language": True,
        "question_about": None,
        "circumstance": None,
        "alternative": None,
    }


def test_lines_from_stdin_in_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(LINES) + "\n"))
    code, out, _ = run_registered(["--now", NOW], capsys)
    assert code == 0
    objects = [json.loads(line) for line in out.splitlines()]
    assert [subset(o, w) for o, w in zip(objects, EXPECTED, strict=True)] == EXPECTED


def test_now_defaults_to_the_current_time(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_registered(["cancel please"], capsys)
    assert (code, json.loads(out)["intent"]) == (0, "cancel")


@pytest.mark.parametrize(
    ("now", "complaint"), [("2025-12-18T10:00:00", "UTC offset"), ("tomorrow", "ISO 8601")]
)
def test_bad_now_exits_2(capsys: pytest.CaptureFixture[str], now: str, complaint: str) -> None:
    code, out, err = run_registered(["cancel", "--now", now], capsys)
    assert (code, out) == (2, "")
    assert complaint in err and len(err.splitlines()) == 1


def test_evaluate_prints_accuracy_per_language_and_intent(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_registered(["--evaluate", str(CORPUS), "--quiet"], capsys)
    assert code == 0
    for name in (
        "ja",
        "en",
        "zh-Hans",
        "zh-Hant",
        "ko",
        "th",
        "vi",
        "special_circumstance",
        "privacy",
        "other",
    ):
        assert f"  {name} " in out
    assert "intent overall:" in out and "misses" not in out


def test_evaluate_below_threshold_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus = tmp_path / "c.tsv"
    corpus.write_text(f"# now: {NOW}\nhello\ten\tcancel\t-\t-\ncancel\ten\tcancel\t-\t-\n", encoding="utf-8")
    code, out, _ = run_registered(["--evaluate", str(corpus)], capsys)
    assert code == 1
    assert "50.0% (1/2)" in out and "2: hello -> intent=other (want cancel)" in out


def test_evaluate_bad_corpus_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_registered(["--evaluate", str(tmp_path / "missing.tsv")], capsys)
    assert code == 2 and "missing.tsv" in err


# ---------------------------------------------------------------- as a user runs it


@pytest.fixture
def counselbot() -> str:
    script = shutil.which("counselbot", path=str(Path(sys.executable).parent))
    assert script is not None, "the counselbot console script is not installed in this environment"
    return script


def test_script_one_text(counselbot: str) -> None:
    done = subprocess.run(
        [counselbot, "understand", "３０分くらい遅れます", "--now", NOW],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert subset(json.loads(done.stdout), EXPECTED[1]) == EXPECTED[1]


def test_script_stdin(counselbot: str) -> None:
    done = subprocess.run(
        [counselbot, "understand", "--now", NOW],
        input="\n".join(LINES) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    assert [subset(o, w) for o, w in zip(objects, EXPECTED, strict=True)] == EXPECTED


def test_script_evaluate(counselbot: str) -> None:
    done = subprocess.run(
        [counselbot, "understand", "--evaluate", str(CORPUS), "--quiet"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intent accuracy by language:" in done.stdout
