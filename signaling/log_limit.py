"""A logger for what clients can trigger at will (malformed packets, floods): one line per
event, no traceback, at most `burst` lines then `rate` per second, and a count of what was
left out. A hostile client must not be able to fill the disk or drown the operator's logs.

`RateLimitedLogger(logging.getLogger(name))` fits where a library takes a logger object
(python-engineio's `logger=`): its `exception()` becomes one `error` line naming the exception.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from swarmcast.protocol.token_bucket import TokenBucket


class RateLimitedLogger(logging.LoggerAdapter[logging.Logger]):
    def __init__(
        self,
        logger: logging.Logger,
        *,
        rate: float = 1.0,
        burst: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(logger, {})
        self._clock = clock
        self._bucket = TokenBucket(rate, burst, clock())
        self.suppressed = 0

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        return msg, kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        exc_info = kwargs.pop("exc_info", None)
        kwargs.pop("stack_info", None)
        if level < logging.WARNING:
            # The library's chatter (connections, upgrades) is debug detail here.
            self.logger.log(logging.DEBUG, msg, *args, **kwargs)
            return
        if not self.logger.isEnabledFor(level):
            return
        if not self._bucket.try_consume(self._clock()):
            self.suppressed += 1
            return
        text = str(msg) % args if args else str(msg)
        error = sys.exc_info()[1] if exc_info else None
        if isinstance(exc_info, BaseException):
            error = exc_info
        if error is not None:
            text += f": {type(error).__name__}: {str(error)[:120]}"
        if self.suppressed:
            text += f" ({self.suppressed} similar lines suppressed)"
            self.suppressed = 0
        self.logger.log(level, "%s", text, **kwargs)

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        self.log(logging.ERROR, msg, *args, exc_info=exc_info, **kwargs)
