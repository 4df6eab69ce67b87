"""`swarmcast bench sim --compiled`: the mypyc build of the simulator and scheduler gives the
same pinned digests as the interpreted code (mypyc's typed semantics change no decision), and a
compiled run really imports the compiled modules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_sim_digest import PINNED  # pytest puts this folder on sys.path

from swarmcast.bench.sim import compiled

HERE = Path(__file__).resolve().parent

CHILD = """
import importlib.util, json, sys
from swarmcast.bench.sim.compiled import check_compiled
from swarmcast.bench.sim.runner import decision_digest, run_one
check_compiled()
spec = importlib.util.spec_from_file_location("pinned", sys.argv[1])
pinned = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pinned)
print(json.dumps({name: decision_digest(run_one(config, seed, trace=True))
                  for name, (config, seed, _) in pinned.PINNED.items()}))
"""


@pytest.mark.skipif(shutil.which("cc") is None, reason="mypyc needs a C compiler")
def test_compiled_build_gives_the_pinned_digests() -> None:
    target = compiled.build()
    assert compiled.build() == target  # cached by the sources' hash
    env = {**os.environ, compiled.ENV: str(target), "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(HERE / "test_sim_digest.py")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=target,
    )
    assert json.loads(out.stdout) == {name: digest for name, (_, _, digest) in PINNED.items()}


def test_check_compiled_refuses_interpreted_modules(tmp_path: Path) -> None:
    env = {**os.environ, compiled.ENV: str(tmp_path)}
    code = "from swarmcast.bench.sim.compiled import check_compiled; check_compiled()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "not " + str(tmp_path.resolve()) in done.stderr
