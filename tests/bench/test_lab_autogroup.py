"""The lab's CPU priority (`e2e.lab.processes.set_autogroup_nice`, `own_autogroup`):
with autogroup scheduling a process's nice value counts only inside its session, so the lab sets
the session's; and the NAT bench's CPU account of a run."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from swarmcast.bench.nat_bench import CpuAccount
from swarmcast.e2e.lab.processes import LabProcess, set_autogroup_nice


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


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="no autogroup scheduling")
def test_the_lab_moves_itself_and_its_children_into_a_prioritised_session() -> None:
    code = (
        "import os, subprocess, sys\n"
        "from swarmcast.e2e.lab.processes import own_autogroup\n"
        "assert own_autogroup(7)\n"
        "child = subprocess.run(['cat', '/proc/self/autogroup'], capture_output=True, text=True)\n"
        "print(os.getsid(0) == os.getpid(), open('/proc/self/autogroup').read().split()[-1],"
        " child.stdout.split()[-1])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["True", "7", "7"]


def test_cpu_account_counts_reaped_children() -> None:
    account = CpuAccount()
    subprocess.run(
        [sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
         "while time.process_time() < end: pass"],
        check=True, timeout=60,
    )  # fmt: skip
    figures = account.figures()
    assert figures["lab_cpu_share"] > 0
    assert 0 <= figures["machine_busy_share"] <= 1.0
    assert set(figures) == {"lab_cpu_share", "machine_busy_share", "load1_start", "load1_end"}


def test_a_process_without_a_session_of_its_own_stays_in_the_labs(tmp_path: Path) -> None:
    """Python viewers (`own_session=False`): the lab's session (its autogroup), a process group
    of their own (stopping one stops its group only)."""

    async def scenario() -> tuple[int, int, int | None]:
        process = LabProcess(
            "peer", "", [sys.executable, "-c", "import time; time.sleep(60)"],
            tmp_path / "peer.log", own_session=False,
        )  # fmt: skip
        await process.start()
        assert process.pid is not None
        sid, pgid = os.getsid(process.pid), os.getpgid(process.pid)
        code = await process.stop(grace_s=5)
        return sid, pgid, code

    sid, pgid, code = asyncio.run(scenario())
    assert sid == os.getsid(0)
    assert pgid != os.getpgid(0)
    assert code is not None and code < 0  # stopped by the signal to its group


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="no autogroup scheduling")
def test_from_a_terminal_the_lab_keeps_its_session_and_restores_its_priority() -> None:
    """Run from a terminal (stdin a tty) the lab stays in the terminal's session, so Ctrl-C
    still reaches it, and hands the session's priority back when it exits."""
    code = (
        "import os\n"
        "from swarmcast.e2e.lab.processes import own_autogroup, _autogroup_nice\n"
        "sid = os.getsid(0)\n"
        "assert own_autogroup(6)\n"
        "print(os.getsid(0) == sid, _autogroup_nice(), flush=True)\n"
    )
    leader, follower = os.openpty()
    try:
        # A session of its own (as a terminal's shell has), whose autogroup the child changes.
        script = f"{sys.executable} -c \"$0\"; cut -d' ' -f3 /proc/self/autogroup"
        shell = subprocess.run(
            ["setsid", "sh", "-c", script, code],
            stdin=follower, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
    finally:
        os.close(leader)
        os.close(follower)
    kept, during, after = shell.stdout.split()
    assert (kept, during) == ("True", "6")
    assert after == "0"  # the session's priority handed back at exit
