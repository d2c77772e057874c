"""`counselbot dialogs diagram`: write the Mermaid state diagram of every dialog to docs/dialogs.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_OUTPUT = Path("docs/dialogs.md")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("dialogs", help="the conversations (state machines) the bot runs")
    commands = parser.add_subparsers(dest="dialogs_command", metavar="COMMAND", required=True)
    diagram = commands.add_parser(
        "diagram",
        help="write a Mermaid state diagram per dialog (from the dialogs' own definitions)",
        description="Write docs/dialogs.md: one Mermaid state diagram per dialog, drawn from its graph.",
    )
    diagram.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="file to write (default: %(default)s)"
    )
    diagram.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when the file is missing or out of date"
    )
    diagram.set_defaults(func=_diagram)


def _diagram(args: argparse.Namespace) -> int:
    from bot.dialogs.diagram import document

    text = document()
    path: Path = args.output
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            print(f"{path} is out of date: run `counselbot dialogs diagram`", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0
