"""Closing connections from inside their own handlers, and closing idle ones (docs/security.md
§4.4-4.5). One owner for the disconnect tasks and idle timers, cancelled together on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from swarmcast.signaling.session import Session

log = logging.getLogger(__name__)


class Closer:
    def __init__(self, disconnect: Callable[[str], Awaitable[None]], idle_s: float) -> None:
        self._disconnect = disconnect  # sid -> close that connection
        self._idle_s = idle_s
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def later(self, sid: str) -> None:
        """Close `sid` once the current handler has returned (so its ack still goes out)."""
        task = asyncio.get_running_loop().create_task(self._close(sid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close(self, sid: str) -> None:
        await self._disconnect(sid)

    def arm(self, session: Session) -> None:
        """(Re)start the idle clock of a connection in no swarm: silent for `idle_s`, it is
        closed, since it holds a slot of its address's and network's caps."""
        self.disarm(session)

        def expire() -> None:
            self._timers.pop(session.sid, None)
            if session.swarm is None and not session.closed:
                log.info("signaling: closing %s: idle in no swarm", session.peer_id)
                self.later(session.sid)

        self._timers[session.sid] = asyncio.get_running_loop().call_later(self._idle_s, expire)

    def disarm(self, session: Session) -> None:
        timer = self._timers.pop(session.sid, None)
        if timer is not None:
            timer.cancel()

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
