"""The dialogs' graphs are complete and true: every edge has its test case, every step its handler
and question, every target exists; docs/dialogs.md is drawn from them and kept up to date."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dialogs import registry
from bot.dialogs.common import Flow
from bot.dialogs.diagram import document, mermaid
from bot.understanding import INTENTS
from tests.dialogs.edges import Edges

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "dialogs.md"
MODULES = {
    "menu": "tests.dialogs.test_menu_runtime",
    "identity": "tests.dialogs.test_identity",
    "cancellation": "tests.dialogs.test_cancellation",
    "booking_change": "tests.dialogs.test_booking_change",
    "late_arrival": "tests.dialogs.test_late_arrival",
    "special_circumstance": "tests.dialogs.test_special_circumstance",
    "payment": "tests.dialogs.test_payment",
    "privacy": "tests.dialogs.test_privacy",
    "language": "tests.dialogs.test_language",
    "csat": "tests.dialogs.test_csat",
}


def test_every_dialog_has_its_transition_tests() -> None:
    assert set(MODULES) == set(registry.DIALOGS)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_edge_of_the_graph_has_a_test_case(name: str) -> None:
    edges: Edges = importlib.import_module(MODULES[name]).E
    graph = registry.get(name).graph
    declared = {(step, label) for step, out in graph.items() for label, _ in out}
    assert set(edges.cases) == declared


@pytest.mark.parametrize("name", sorted(registry.DIALOGS))
def test_graph_targets_and_steps_exist(name: str) -> None:
    dialog = registry.get(name)
    steps = set(dialog.graph) - {"start"}
    for step, out in dialog.graph.items():
        labels = [label for label, _ in out]
        assert len(labels) == len(set(labels)), f"{name}.{step}: two edges with one label"
        for _, target in out:
            if target.startswith("@"):
                assert target[1:] in registry.DIALOGS or target == "@handoff"
            else:
                assert target == "done" or target in steps, f"{name}.{step} -> {target}"
    if name == "menu":
        return
    handlers = {attr.removeprefix("on_") for attr in dir(dialog) if attr.startswith("on_")}
    waiting = {s for s in steps if s == "identity"}
    assert handlers == steps - waiting, "a handler per step, a step per handler"
    for step in steps - waiting:
        assert hasattr(dialog, f"ask_{step}"), f"{name}.{step} can be asked again"
    for step in waiting:
        assert hasattr(dialog, f"resume_{step}")


def test_the_menu_offers_every_flow_with_its_label_and_intents() -> None:
    menu_targets = [target for _, target in registry.MENU.graph["main"]]
    assert menu_targets == [f"@{f}" for f in registry.FLOWS] + [
        "@language",
        "@handoff",
        "done",
        "which",
        "then",
    ]
    flows = [registry.get(f) for f in registry.FLOWS]
    assert all(isinstance(f, Flow) for f in flows)
    served = [i for f in flows if isinstance(f, Flow) for i in f.intents]
    # A medical question has no flow: it is answered (no advice, a person offered) wherever it comes.
    unserved = {"human", "other", "medical_question"}
    assert sorted(served) == sorted(set(INTENTS) - unserved), "each intent has exactly one flow"
    assert all(f.menu_label.text for f in flows if isinstance(f, Flow))


def test_diagrams_are_mermaid_state_diagrams_of_every_dialog() -> None:
    text = document()
    for name in registry.DIALOGS:
        assert f"\n## {name}\n\n```mermaid\nstateDiagram-v2\n" in text
    cancellation = mermaid(registry.get("cancellation"))
    assert "    surgery --> explain: surgery called off\n" in cancellation
    assert "    [*] --> identity: not linked\n" in cancellation
    assert 'state "a person takes over" as person' in cancellation


def test_docs_dialogs_md_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == document(), (
        "run `counselbot dialogs diagram` and commit docs/dialogs.md"
    )


def test_the_command_writes_and_checks_the_file(tmp_path: Path) -> None:
    out = tmp_path / "dialogs.md"
    cmd = [sys.executable, "-m", "bot.cli", "dialogs", "diagram", "--output", str(out)]
    check = subprocess.run([*cmd, "--check"], capture_output=True, text=True, cwd=ROOT)
    assert check.returncode == 1 and "out of date" in check.stderr
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and out.read_text(encoding="utf-8") == document()
    check = subprocess.run([*cmd, "--check"], capture_output=True, text=True, cwd=ROOT)
    assert check.returncode == 0, check.stderr
