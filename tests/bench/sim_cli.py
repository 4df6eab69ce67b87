"""Runs `swarmcast bench sim` in-process for the simulator tests and reads its report back."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from swarmcast.bench import sim_bench


def run_sim_cli(out: Path, *argv: str) -> tuple[dict[str, Any], Path]:
    """`swarmcast bench sim ARGV --out OUT`; its JSON report (parsed) and that file's path."""
    parser = argparse.ArgumentParser()
    sim_bench.add_arguments(parser)
    assert sim_bench.run(parser.parse_args([*argv, "--out", str(out)])) == 0
    (report,) = out.glob("sim-*.json")
    return json.loads(report.read_text()), report
