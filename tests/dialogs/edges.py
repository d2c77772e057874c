"""A test per transition: each dialog's test module registers one case per edge of the dialog's
`graph`, and test_graph.py checks that every edge has exactly its case. A case builds the context by
hand, runs start/step/resume, makes its own assertions and returns the Transition; the shared test
then checks that the transition lands where the graph says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.dialogs import registry
from bot.dialogs.base import Done, Exit, Frame, Push, Start, Transition
from bot.effects import Escalate, FileRequest

Case = Callable[[], Transition]


def target_of(t: Transition) -> str:
    """Where a transition goes, in the vocabulary of the graphs."""
    n = t.next
    if isinstance(n, Frame):
        return n.step
    if isinstance(n, Push):
        return n.then.step if n.then is not None else f"@{n.dialog}"
    if isinstance(n, Start):
        return f"@{n.dialog}"
    if isinstance(n, Exit):
        return "@handoff" if n.to == "human" else "@menu"
    assert isinstance(n, Done)
    handoff = any(isinstance(e, Escalate) or (isinstance(e, FileRequest) and e.handoff) for e in t.effects)
    if handoff:
        assert not n.show_menu, "a handoff does not show the menu over the person's answer"
        return "@handoff"
    return "done"


class Edges:
    def __init__(self, dialog: str) -> None:
        self.dialog = dialog
        self.cases: dict[tuple[str, str], Case] = {}

    def __call__(self, step: str, label: str) -> Callable[[Case], Case]:
        def register(fn: Case) -> Case:
            key = (step, label)
            assert key not in self.cases, f"two cases for {key}"
            self.cases[key] = fn
            return fn

        return register

    def expected(self, step: str, label: str) -> str:
        edges = dict(registry.get(self.dialog).graph[step])
        assert label in edges, f"{self.dialog}: no edge {label!r} from {step!r}"
        return edges[label]

    def test(self) -> Any:
        params = [pytest.param(s, lbl, id=f"{s}: {lbl}") for (s, lbl) in self.cases]

        @pytest.mark.parametrize(("step", "label"), params)
        def test_transition(step: str, label: str) -> None:
            t = self.cases[(step, label)]()
            assert target_of(t) == self.expected(step, label)
            assert not t.missed

        return test_transition
