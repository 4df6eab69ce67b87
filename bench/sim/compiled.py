"""`swarmcast bench sim --compiled`: the same simulator and pure scheduler, compiled to C
extensions with mypyc (ships with mypy, a dev dependency; needs a C compiler), about 3x faster
per event with byte-identical results (tests/bench/test_sim_compiled.py checks the pinned
digests of tests/bench/test_sim_digest.py against a compiled build).

The build is a copy of the simulator's sources (bench/sim, peer, protocol, signaling) in a cache
directory named by the hash of their contents, mypyc version and Python version: any source
change makes a new build, a stale one is never used. The compiled run is a fresh interpreter with
that copy first on its path, so every simulator module comes from the copy (compiled and
interpreted modules of one process never mix versions)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import swarmcast

ENV = "SWARMCAST_SIM_COMPILED"
"""Set in the compiled run's environment: the build directory it must import from."""

PACKAGES = ("bench/sim", "peer", "protocol", "signaling")
TOP_FILES = ("__init__.py", "bench/__init__.py", "bench/sim_bench.py")
HOT_MODULES = (
    "peer/piece_scheduler.py",
    "peer/scheduler_neighbours.py",
    "peer/download_book.py",
    "peer/download_state.py",
    "peer/origin_gate.py",
    "peer/deadline_clock.py",
    "peer/peer_requests.py",
    "peer/upload_scheduler.py",
    "peer/election.py",
    "peer/scheduler_stats.py",
    "peer/scheduler_timers.py",
    "protocol/token_bucket.py",
    "bench/sim/events.py",
    "bench/sim/flows.py",
    "bench/sim/origin.py",
    "bench/sim/swarm.py",
    "bench/sim/peer_channel.py",
    "bench/sim/viewer.py",
    "bench/sim/player.py",
)
"""What runs per event. Not compiled: metrics/runner/report (once per run; mypyc's strict
int/float checks reject `sum()` of an empty float list there)."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "swarmcast" / "sim-mypyc"


def _sources() -> list[tuple[str, bytes]]:
    root = Path(swarmcast.__file__).parent  # the package; bench/, peer/ ... are symlinks in it
    names = list(TOP_FILES)
    for package in PACKAGES:
        names += sorted(p.relative_to(root).as_posix() for p in (root / package).rglob("*.py"))
    return [(name, (root / name).read_bytes()) for name in names]


def build_key(sources: list[tuple[str, bytes]]) -> str:
    from mypy.version import __version__ as mypy_version

    digest = hashlib.sha256(f"{sys.version}\0{mypy_version}\0".encode())
    for name, data in sources:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:20]


def build(cache: Path | None = None) -> Path:
    """The build directory for the current sources (built now if missing; ~1 min)."""
    cache = cache or cache_root()
    sources = _sources()
    target = cache / build_key(sources)
    if (target / "BUILT").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=cache))
    try:
        for name, data in sources:
            path = work / "swarmcast" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        modules = [f"swarmcast/{name}" for name in HOT_MODULES]
        done = subprocess.run(
            [sys.executable, "-m", "mypyc", *modules],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise RuntimeError(f"mypyc failed (a type error in a hot module?):\n{tail}")
        shutil.rmtree(work / "build", ignore_errors=True)  # the generated C and objects
        (work / "BUILT").write_text("\n".join(HOT_MODULES) + "\n")
        try:
            work.rename(target)
        except OSError:  # built meanwhile by another run: use that one
            if not (target / "BUILT").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def rerun(argv: list[str], out: Path) -> int:
    """Replace this process by the compiled run of `swarmcast bench sim ARGV`."""
    target = build()
    env = dict(os.environ)
    env[ENV] = str(target)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(target), env.get("PYTHONPATH")) if p)
    code = "import sys; from swarmcast.bench.sim.compiled import child_main; child_main()"
    sys.stdout.flush()
    # -P: no current directory on the path (a checkout's own swarmcast/ would come first).
    os.execve(sys.executable, [sys.executable, "-P", "-c", code, *argv, "--out", str(out)], env)
    return 1  # not reached


def check_compiled() -> Path:
    """In the compiled run: every hot module really comes compiled from the build."""
    import importlib

    target = Path(os.environ[ENV]).resolve()
    for name in HOT_MODULES:
        module = importlib.import_module("swarmcast." + name[: -len(".py")].replace("/", "."))
        path = Path(module.__file__ or "").resolve()
        if target not in path.parents or path.suffix != ".so":
            raise SystemExit(f"sim --compiled: {module.__name__} came from {path}, not {target}")
    return target


def child_main() -> None:
    import argparse

    from swarmcast.bench import sim_bench

    check_compiled()
    argv = sys.argv[1:]
    sys.argv = ["swarmcast", "bench", "sim", *argv]
    parser = argparse.ArgumentParser(prog="swarmcast bench sim")
    sim_bench.add_arguments(parser)
    sys.exit(sim_bench.run(parser.parse_args(argv)))
