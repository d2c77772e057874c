"""`counselbot policy ...`: through register() on a fresh parser, and as a user runs the console script."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.commands.policy import register

FEE_ARGS = ["--service-at", "2026-12-05T10:00+09:00", "--requested-at", "2026-12-02T09:00+09:00"]
DUE_ARGS = [
    "--requested-at",
    "2026-11-26T10:00+09:00",
    "--confirmed-at",
    "2026-11-30T15:00+09:00",
    "--service-at",
    "2026-12-03T10:00+09:00",
]

# (argv, the stderr line must mention)
BAD_INPUT = [
    (
        ["cancellation-fee", "--service-at", "2026-12-05T10:00", *FEE_ARGS[2:], "--fee-total", "1000"],
        "--service-at",
    ),
    (
        ["cancellation-fee", *FEE_ARGS[:2], "--requested-at", "2026-12-02", "--fee-total", "1"],
        "--requested-at",
    ),
    (["cancellation-fee", *FEE_ARGS, "--fee-total", "-5"], "--fee-total"),
    (["cancellation-fee", *FEE_ARGS, "--fee-total", "abc"], "--fee-total"),
    (["cancellation-fee", *FEE_ARGS, "--fee-total", "1.5"], "--fee-total"),
    (["cancellation-fee", *FEE_ARGS, "--fee-total", ""], "--fee-total"),
    (["cancellation-fee", *FEE_ARGS, "--fee-total", "soon"], "--fee-total"),
    (["payment-due", *DUE_ARGS[:3], "2026-11-30 15:00", *DUE_ARGS[4:]], "--confirmed-at"),
    (["payment-due", *DUE_ARGS[:5], "next week"], "--service-at"),
]


def run_registered(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="counselbot")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["policy", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def one_json_object(out: str) -> dict[str, Any]:
    lines = out.splitlines()
    assert len(lines) == 1, out
    value = json.loads(lines[0])
    assert isinstance(value, dict)
    return value


def test_cancellation_fee_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_registered(["cancellation-fee", *FEE_ARGS, "--fee-total", "40000"], capsys)
    assert (code, err) == (0, "")
    result = one_json_object(out)
    assert {k: result[k] for k in ("days_before", "rate_percent", "fee_jpy", "waived", "rule")} == {
        "days_before": 3,
        "rate_percent": 50,
        "fee_jpy": 20000,
        "waived": False,
        "rule": "partial",
    }
    assert result["service_date_jst"] == "2026-12-05"


def test_cancellation_fee_command_surgery_called_off(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "cancellation-fee",
        "--service-at",
        "2026-12-05T10:00+09:00",
        "--requested-at",
        "2026-12-04T10:00Z",
    ]
    code, out, _ = run_registered([*argv, "--fee-total", "60000", "--surgery-called-off"], capsys)
    result = one_json_object(out)
    assert (code, result["rule"], result["waived"], result["fee_jpy"], result["days_before"]) == (
        0,
        "surgery_waiver",
        True,
        0,
        1,
    )


def test_cancellation_fee_command_past_is_no_fee(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "cancellation-fee",
        "--service-at",
        "2026-12-05T10:00+09:00",
        "--requested-at",
        "2026-12-05T15:00Z",
    ]
    code, out, _ = run_registered([*argv, "--fee-total", "60000"], capsys)
    result = one_json_object(out)
    assert (code, result["rule"], result["fee_jpy"], result["rate_percent"]) == (0, "past", None, None)


def test_payment_due_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_registered(["payment-due", *DUE_ARGS], capsys)
    assert (code, err) == (0, "")
    result = one_json_object(out)
    assert (result["due_date"], result["due_at"], result["days"]) == (
        "2026-12-03",
        "2026-12-03T23:59:59+09:00",
        3,
    )


@pytest.mark.parametrize(("argv", "option"), BAD_INPUT)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_registered(argv, capsys)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and option in err and "error" in err


# ---------------------------------------------------------------- as a user runs it


@pytest.fixture
def counselbot() -> str:
    script = shutil.which("counselbot", path=str(Path(sys.executable).parent))
    assert script is not None, "the counselbot console script is not installed in this environment"
    return script


def run_script(script: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([script, "policy", *argv], capture_output=True, text=True, timeout=60, check=False)


def test_script_cancellation_fee(counselbot: str) -> None:
    # 20:00 on Dec 1 in Los Angeles is already Dec 2 in Tokyo: 3 days before, 50 %, rounded down.
    argv = ["--service-at", "2026-12-05T10:00+09:00", "--requested-at", "2026-12-01T20:00-08:00"]
    done = run_script(counselbot, ["cancellation-fee", *argv, "--fee-total", "33333"])
    assert done.returncode == 0, done.stderr
    result = one_json_object(done.stdout)
    assert (result["days_before"], result["rate_percent"], result["fee_jpy"], result["rule"]) == (
        3,
        50,
        16666,
        "partial",
    )


def test_script_payment_due(counselbot: str) -> None:
    done = run_script(counselbot, ["payment-due", *DUE_ARGS])
    assert done.returncode == 0, done.stderr
    result = one_json_object(done.stdout)
    assert (result["due_date"], result["due_at"], result["days"]) == (
        "2026-12-03",
        "2026-12-03T23:59:59+09:00",
        3,
    )


@pytest.mark.parametrize(("argv", "option"), [BAD_INPUT[0], BAD_INPUT[2], BAD_INPUT[3], BAD_INPUT[7]])
def test_script_bad_input(counselbot: str, argv: list[str], option: str) -> None:
    done = run_script(counselbot, argv)
    assert (done.returncode, done.stdout) == (2, "")
    assert len(done.stderr.splitlines()) == 1 and option in done.stderr
    assert "Traceback" not in done.stderr
