"""`bench lab --runs/--matrix` without browsers: a fake lab run stands in for `run_raw`, so the
loop, the kept files, the partial aggregate and the failure handling are checked in a second."""

from __future__ import annotations

import dataclasses
import fcntl
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from swarmcast.bench.lab_matrix import MATRICES, cell_config, cell_name, run_matrix, select_cells
from swarmcast.bench.lab_scenarios import scenario_config
from swarmcast.e2e.lab.config import LabConfig
from swarmcast.e2e.test_lab_metrics import T0, _raw


def _stall(seconds: float) -> list[dict[str, Any]]:
    return [{"start": T0 + 10_000, "end": T0 + 10_000 + seconds * 1000, "seeking": False}]


def test_flash_matrix_has_the_issues_cells() -> None:
    base = scenario_config("flash")
    cells = {c.name: cell_config(c, base) for c in MATRICES["flash"]}
    shape = {
        name: (c.egress_cap_x_top, c.phases[0].join_window_s, c.browser_mode)
        for name, c in cells.items()
    }
    assert shape == {
        "3x-10s-processes": (3.0, 10.0, "processes"),
        "3x-10s-contexts": (3.0, 10.0, "contexts"),
        "2x-10s": (2.0, 10.0, "processes"),
        "3x-at-once": (3.0, 0.0, "processes"),
        "4x-30s": (4.0, 30.0, "processes"),
    }
    assert all(c.phases[0].p2p and not c.phases[1].p2p for c in cells.values())
    assert cell_name(scenario_config("flash", join_window_s=0)) == "flash-3x-0s-processes"


def test_cells_chosen_by_name_keep_the_matrix_order() -> None:
    chosen = select_cells("flash", "3x-at-once, 2x-10s")
    assert [c.name for c in chosen] == ["2x-10s", "3x-at-once"]
    assert select_cells("flash", None) == MATRICES["flash"]
    with pytest.raises(ValueError, match="2x-30s"):
        select_cells("flash", "2x-10s,2x-30s")
    with pytest.raises(ValueError):
        select_cells("flash", " , ")


def test_two_matrices_started_in_the_same_second_keep_their_own_aggregate(tmp_path: Path) -> None:
    def fake_run(config: LabConfig) -> dict[str, Any] | None:
        raw = _raw("flash", _stall(1.0))
        raw["workdir"] = str(tmp_path / "work")
        return raw

    base = scenario_config("flash")
    cells = {c.name: cell_config(c, base) for c in MATRICES["flash"]}
    first = run_matrix(
        "matrix-flash", [("2x-10s", cells["2x-10s"])], 1, tmp_path, fake_run, stamp="S"
    )
    second = run_matrix(
        "matrix-flash", [("3x-at-once", cells["3x-at-once"])], 1, tmp_path, fake_run, stamp="S"
    )
    assert (first.name, second.name) == ("matrix-flash-S.json", "matrix-flash-S-2.json")
    assert [c["name"] for c in json.loads(first.read_text())["cells"]] == ["2x-10s"]
    assert [c["name"] for c in json.loads(second.read_text())["cells"]] == ["3x-at-once"]


def test_runs_are_kept_and_aggregated_after_each_one(tmp_path: Path) -> None:
    seen: list[tuple[int, str]] = []
    lock = tmp_path / "heavy.lock"

    def fake_run(config: LabConfig) -> dict[str, Any] | None:
        # The run holds the lock: another taker would block.
        with lock.open("a") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        seen.append((config.seed, config.browser_mode))
        if config.seed == 2:
            raise RuntimeError("origin never ready")
        # Write what is there after each run (the previous run's aggregate exists already).
        if len(seen) > 1:
            assert json.loads(next(tmp_path.glob("runs-flash-*.json")).read_text())["cells"]
        raw = _raw("flash", _stall(3.0 * config.seed))
        raw["workdir"] = str(tmp_path / "work")
        return raw

    base = dataclasses.replace(scenario_config("flash"), seed=1)
    path = run_matrix("runs-flash", [("c1", base)], 3, tmp_path, fake_run, lock=lock, stamp="s")
    assert seen == [(1, "processes"), (2, "processes"), (3, "processes")]
    document = json.loads(path.read_text())
    cell = document["cells"][0]
    assert [r["seed"] for r in cell["runs"]] == [1, 2, 3]
    assert "origin never ready" in cell["runs"][1]["error"]
    agg = cell["aggregate"]
    assert agg["runs"] == 3 and agg["failed"] == 1
    # Stall share: 4 browsers frozen 3 s (seed 1) / 9 s (seed 3) of 28.5 s each.
    assert agg["p2p"]["stall_share"]["worst"] == round(9 / 28.5, 4)
    assert agg["p2p"]["stall_share"]["n"] == 2
    run_dir = tmp_path / "runs-flash-s" / "c1" / "run-1"
    assert (
        json.loads(gzip.decompress((run_dir / "raw.json.gz").read_bytes()))["scenario"] == "flash"
    )
    assert (run_dir / "SUMMARY.md").is_file() and list(run_dir.glob("flash-*.png"))
    markdown = path.with_suffix(".md").read_text()
    assert "| c1 | 3 (1) |" in markdown and "run-2: failed: origin never ready" in markdown
    # flash's 3x cap: issue 8's targets, judged on every run (9 s of 28.5 s frozen: 31.6%).
    assert "c1 targets over its runs: P2P stall share <= 2%: **no** (worst 31.6%)" in markdown


def test_a_cell_that_keeps_failing_is_given_up_and_the_next_cell_runs(tmp_path: Path) -> None:
    calls: list[str] = []

    def fake_run(config: LabConfig) -> dict[str, Any] | None:
        calls.append(config.browser_mode)
        return None if config.browser_mode == "contexts" else _raw("flash", [])

    base = scenario_config("flash")
    cells = [
        ("broken", dataclasses.replace(base, browser_mode="contexts")),
        ("fine", base),
    ]
    path = run_matrix("matrix-flash", cells, 3, tmp_path, fake_run, stamp="s")
    assert calls == ["contexts", "contexts", "processes", "processes", "processes"]
    cells_doc = json.loads(path.read_text())["cells"]
    assert cells_doc[0]["aggregate"]["failed"] == 2 and cells_doc[1]["aggregate"]["failed"] == 0


def test_command_line_sets_the_origin_priority_and_browser_launch() -> None:
    import argparse

    from swarmcast.bench import lab_bench

    parser = argparse.ArgumentParser()
    lab_bench.add_arguments(parser)
    default = lab_bench.config_from_args("scale", parser.parse_args(["--scenario", "scale"]))
    assert default.origin_nice is None and not default.prelaunch_browsers
    flash = lab_bench.config_from_args("flash", parser.parse_args([]))
    assert flash.origin_nice == -10
    for name in ("steady", "churn"):  # browsers start while the encoder must keep real time
        assert lab_bench.config_from_args(name, parser.parse_args([])).origin_nice == -10
    args = parser.parse_args(["--origin-nice", "none", "--prelaunch"])
    changed = lab_bench.config_from_args("flash", args)
    assert changed.origin_nice is None and changed.prelaunch_browsers
    args = parser.parse_args(["--origin-nice", "-5"])
    assert lab_bench.config_from_args("scale", args).origin_nice == -5


def test_a_warm_up_run_comes_first_and_counts_nowhere(tmp_path: Path) -> None:
    seen: list[tuple[int, tuple[float, ...]]] = []

    def fake_run(config: LabConfig) -> dict[str, Any] | None:
        seen.append((config.seed, tuple(p.duration_s for p in config.phases)))
        raw = _raw("flash", _stall(3.0))
        raw["workdir"] = str(tmp_path / "work")
        return raw

    base = dataclasses.replace(scenario_config("flash"), seed=1)
    cells = [("c1", base), ("c2", base)]
    path = run_matrix("matrix-flash", cells, 3, tmp_path, fake_run, stamp="s", warmup_s=30.0)
    full = tuple(p.duration_s for p in base.phases)
    # One warm-up run of the first cell, its phases cut to 30 s (but never before the joins
    # are done), then every measured run as without it.
    warm = tuple(max(30.0, p.join_window_s + 10) for p in base.phases)
    assert warm != full
    assert seen == [(1, warm)] + [(seed, full) for seed in (1, 2, 3)] * 2
    document = json.loads(path.read_text())
    assert [len(cell["runs"]) for cell in document["cells"]] == [3, 3]
    assert all("warm-up" not in run["dir"] for cell in document["cells"] for run in cell["runs"])
    assert (tmp_path / "matrix-flash-s" / "warm-up" / "raw.json.gz").is_file()
