"""`swarmcast bench <name>`: each benchmark lives in `bench/<name>_bench.py` with
`add_arguments(parser)` and `run(args) -> int`; `bench all` runs the standard set."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

BENCHMARKS = ("segmenter", "peer", "signaling", "lab", "sim", "ingest")
# Run on their own, not in `bench all` (attacks that load the whole machine).
EXTRA = ("slowloris", "nat", "viewers")


def _run_all(args: argparse.Namespace) -> int:
    failures = 0
    for name in BENCHMARKS:
        module = _load(name)
        if module is None:
            print(f"bench {name}: not available yet")
            continue
        sub = argparse.ArgumentParser(prog=f"swarmcast bench {name}")
        module.add_arguments(sub)
        failures += 1 if module.run(sub.parse_args([])) else 0
    return 1 if failures else 0


def _load(name: str) -> Any:
    module_name = f"swarmcast.bench.{name}_bench"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def main(argv: list[str]) -> int:
    """`swarmcast bench ARGS`: the top-level CLI hands the arguments over (lazy import)."""
    parser = argparse.ArgumentParser(prog="swarmcast")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bench", *argv])
    return int(args.func(args) or 0)


def register(subparsers: Any) -> None:
    bench = subparsers.add_parser("bench", help="run benchmarks (results in bench/results/)")
    names = bench.add_subparsers(dest="bench", required=True)
    names.add_parser("all", help="the standard set").set_defaults(func=_run_all)
    for name in (*BENCHMARKS, *EXTRA):
        module = _load(name)
        if module is None:
            continue
        parser = names.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(parser)
        parser.set_defaults(func=module.run)
