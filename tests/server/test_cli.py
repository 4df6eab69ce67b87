"""The `swarmcast` command itself: version, `python -m swarmcast`, and that only `bench` loads
the benchmark code (an install without the `bench` extra runs every other command)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from swarmcast import __version__
from swarmcast.server.cli import main

PROBE = """
import sys
from swarmcast.server.cli import build_parser
build_parser().parse_args(["serve", "--port", "0"])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("bench", "e2e", "matplotlib"))
print(",".join(loaded))
"""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"swarmcast {__version__}"


def test_python_dash_m_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "swarmcast", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "--allowed-origin" in result.stdout


def test_building_the_parser_loads_no_benchmark_code() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_bench_options_reach_the_bench_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "signaling", "--help"])
    assert exit_info.value.code == 0
    assert "usage: swarmcast bench signaling" in capsys.readouterr().out
