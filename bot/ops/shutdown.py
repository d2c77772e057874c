"""Telling long-lived responses (the web chat's event stream) that the server is stopping.

uvicorn's graceful shutdown waits for open responses before it runs the app's lifespan shutdown, and
an event stream never finishes by itself: without a word from the server it is cut when
`timeout_graceful_shutdown` runs out, mid-chunk. So the app listens for the same signals uvicorn does
(SIGTERM, SIGINT), passing each on to uvicorn's own handler: streams see `stopping` set, end their
response properly, and the browser's EventSource reconnects — to another worker, or to this server
once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ShutdownNotice:
    def __init__(self) -> None:
        self.stopping = asyncio.Event()
        self._previous: dict[int, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self) -> None:
        """From the lifespan's start-up, i.e. after uvicorn put its handlers in place."""
        if threading.current_thread() is not threading.main_thread():
            return  # signals only reach the main thread; whoever runs us there stops us another way
        self._loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            # Someone who replaced ours after us keeps theirs.
            if signal.getsignal(sig) == self._on_signal:
                signal.signal(sig, previous)
        self._previous.clear()

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                self._loop.call_soon_threadsafe(self.stopping.set)
        previous = self._previous.get(sig)
        if callable(previous):
            previous(sig, frame)
        elif previous == signal.SIG_DFL:
            # What would have happened without us (SIGINT's default handler is Python's, callable).
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)
