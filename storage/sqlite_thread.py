"""One daemon thread per SQLite connection, and a cancellation-proof way to await its calls.

A connection is used by one thread at a time: either inline on the event loop or in its own thread,
never both at once, because every hop to the thread is awaited to the end (see `to_the_end`).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Item = tuple[Callable[[], Any], asyncio.Future[Any], asyncio.AbstractEventLoop]


class ConnectionThread:
    """Runs calls in order on one thread, started at the first call and stopped by `stop`."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            # daemon: a process that forgets dispose() must still be able to exit
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self._queue.put((fn, future, loop))
        return future

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread = None

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            fn, future, loop = item
            try:
                result, error = fn(), None
            except BaseException as exc:  # handed to the awaiting coroutine
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(_resolve, future, result, error)


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


async def to_the_end(awaitable: Awaitable[T]) -> T:
    """Awaits a thread call (or a cleanup task) to its end even if the caller is cancelled meanwhile.

    Until a thread call returns, its connection is busy in the thread and nobody else may touch it;
    and a CancelledError raised inside a DBAPI call makes SQLAlchemy invalidate (close) the
    connection, which on the writer would roll back every unit of the batch. So the cancellation is
    re-armed instead (uncancel + cancel keeps the task's cancel count): it is raised at the caller's
    next await that is not a database call, or when its unit of work ends.
    """
    future = asyncio.ensure_future(awaitable)
    interrupted = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            interrupted = True
        except BaseException:
            pass  # the call failed; its error is raised from the future below
    if interrupted:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
            task.cancel()
    return future.result()
