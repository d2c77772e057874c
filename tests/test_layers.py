"""The layers as docs (DESIGN.md) draw them, checked on the source: storage imports nothing from bot;
no SQL is built outside storage/ (bot code reaches the database through storage.repositories)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Not SQL: the session type, errors, URL parsing.
ALLOWED_SQLALCHEMY = ("sqlalchemy.ext.asyncio", "sqlalchemy.exc", "sqlalchemy.engine")
NOT_YET: set[str] = set()  # every module is within the rule now (bot/delivery.py was the last)


def imports(package: str) -> Iterator[tuple[str, int, str]]:
    """(file, line, imported module) for every import under `package`, also inside functions."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                yield from ((name, node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield name, node.lineno, node.module


def test_storage_imports_nothing_from_bot() -> None:
    found = [f"{f}:{line} {m}" for f, line, m in imports("storage") if m == "bot" or m.startswith("bot.")]
    assert found == []


def test_no_sql_is_built_outside_storage() -> None:
    found = [
        f"{f}:{line} {m}"
        for f, line, m in imports("bot")
        if (m == "sqlalchemy" or m.startswith("sqlalchemy."))
        and not m.startswith(ALLOWED_SQLALCHEMY)
        and f not in NOT_YET
    ]
    assert found == [], "SQL belongs in storage/repositories"


def test_dialogs_import_neither_storage_nor_the_web() -> None:
    banned = ("storage", "sqlalchemy", "starlette", "bot.engine", "bot.handlers", "bot.console")
    found = [f"{f}:{line} {m}" for f, line, m in imports("bot/dialogs") if m.startswith(banned)]
    assert found == []


def test_the_checks_see_imports() -> None:
    """A guard for the guards: the walker finds the imports it is meant to police."""
    assert any(m == "sqlalchemy" for _, _, m in imports("storage"))
    assert any(m == "storage.models" for _, _, m in imports("bot"))


def mode_changes(package: str) -> Iterator[str]:
    """Where code under `package` writes a conversation's mode: `x.mode = …` or `.values(mode=…)`."""
    for path in sorted((ROOT / package).rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Attribute) and t.attr == "mode" for t in targets):
                    yield name
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "values" and any(k.arg == "mode" for k in node.keywords):
                    yield name


def test_every_mode_change_goes_through_the_one_owner() -> None:
    # The engine stores the mode runtime.turn decided (bot.modes rules); a new conversation starts as "bot".
    allowed = {"bot/engine.py", "storage/repositories/modes.py", "storage/repositories/conversations.py"}
    found = sorted({f for package in ("bot", "storage") for f in mode_changes(package)} - allowed)
    assert found == []
    assert "storage/repositories/modes.py" in set(mode_changes("storage"))
