"""The `swarmcast` command: each component registers its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

# Modules that expose `register(subparsers)`; each adds its subcommands and sets
# `func(args) -> int` on them. Kept as names so a slow import only costs when used.
COMMAND_MODULES = (
    "swarmcast.server.serve_cmd",
    "swarmcast.server.whip_cli",
    "swarmcast.segmenter.cli",
    "swarmcast.signaling.cli",
    "swarmcast.peer.cli",
)
# `swarmcast bench` is only named here: its modules (lab harness, matplotlib) load when it runs,
# so an install without the `bench` extra still runs every other command.
BENCH_MODULE = "swarmcast.bench.cli"


def _run_bench(args: argparse.Namespace) -> int:
    try:
        bench = importlib.import_module(BENCH_MODULE)
        return int(bench.main(args.bench_args))
    except ModuleNotFoundError as exc:
        print(
            f"swarmcast bench: needs the benchmark dependencies ({exc.name} is missing): "
            "pip install 'swarmcast[bench]' in a checkout of the repository",
            file=sys.stderr,
        )
        return 2


def _register_bench(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="run benchmarks (results in bench/results/; `swarmcast bench --help`)",
        add_help=False,
    )
    parser.add_argument("bench_args", nargs=argparse.REMAINDER)
    parser.set_defaults(func=_run_bench)


def _version() -> str:
    from swarmcast import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="swarmcast", description="Peer-assisted live video streaming."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"swarmcast {_version()}")
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="log lines as text (default) or JSON lines (or SWARMCAST_LOG_FORMAT)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that component has no CLI yet; others still work
                continue
            raise
        module.register(subparsers)
    _register_bench(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        # Everything after `bench` (options included) belongs to the bench CLI.
        args.bench_args = argv[argv.index("bench") + 1 :]
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    from swarmcast.server.log_format import configure_logging

    configure_logging(args.verbose, args.log_format)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
