"""The lab's origin priority (`e2e.lab.processes.set_autogroup_nice`): with autogroup scheduling a
process's nice value counts only inside its session, so the lab sets the session's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from swarmcast.e2e.lab.processes import set_autogroup_nice


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="no autogroup scheduling")
def test_sets_the_session_priority() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert set_autogroup_nice(child.pid, 5)
        assert Path(f"/proc/{child.pid}/autogroup").read_text().split()[-1] == "5"
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)
    assert not set_autogroup_nice(child.pid, 5)  # gone: no error, just False
