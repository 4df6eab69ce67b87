"""JSON-lines logs: one parseable object per record, with the context fields passed in extra."""

from __future__ import annotations

import json
import logging

import pytest

from swarmcast.server.log_format import configure_logging


def test_json_lines_carry_context(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging(log_format="json")
        log = logging.getLogger("swarmcast.test")
        log.info("control of %s changed", "demo", extra={"stream": "demo", "peer": "Abc123xyz"})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert lines[0]["message"] == "control of demo changed"
    assert (lines[0]["stream"], lines[0]["peer"], lines[0]["level"]) == (
        "demo",
        "Abc123xyz",
        "info",
    )
    assert "ValueError: boom" in lines[1]["exception"]


def test_unknown_format_is_refused() -> None:
    with pytest.raises(SystemExit):
        configure_logging(log_format="xml")
