"""Log output for `swarmcast` commands: the usual text lines, or JSON lines for log shippers
(`--log-format json` or SWARMCAST_LOG_FORMAT=json; docs/operator.md). A JSON line carries the
record's `stream`, `peer`, `swarm`, `rendition`, `code` and `reason` fields when a log call
passes them in `extra=`."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("stream", "peer", "swarm", "rendition", "code", "reason")
LOG_FORMATS = ("text", "json")


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: time (unix s), level, logger, message, context fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value if isinstance(value, int | float | bool) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(verbose: bool = False, log_format: str | None = None) -> None:
    """Root logging for a command: `log_format` (else SWARMCAST_LOG_FORMAT, else text)."""
    chosen = log_format or os.environ.get("SWARMCAST_LOG_FORMAT") or "text"
    if chosen not in LOG_FORMATS:
        raise SystemExit(f"unknown log format {chosen!r}: use text or json")
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonLinesFormatter() if chosen == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
