"""`swarmcast peer` stops on SIGINT (how the lab ends its Python viewers) by printing its final
stats JSON and exiting 0, also with P2P off: Socket.IO's own SIGINT handler, installed when
it connects, used to cancel every task first (no stats, a CancelledError traceback)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from peer_fixtures import REPO, STREAM, live_origin


async def test_sigint_prints_final_stats(tmp_path: Path) -> None:
    async with live_origin(tmp_path) as origin:
        stats_path = tmp_path / "stats.json"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "swarmcast.server.cli", "peer", "--url", origin.url,
            "--stream", STREAM, "--no-p2p", "--stats-json", str(stats_path),
            "--stats-interval", "0.5",
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=(tmp_path / "peer.log").open("wb"),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        try:
            # Connected to signaling and fetching: the periodic stats file shows media bytes.
            for _ in range(120):
                if stats_path.exists() and json.loads(stats_path.read_text())["bytes_from_http"]:
                    break
                await asyncio.sleep(0.5)
            else:
                raise AssertionError("the peer fetched nothing in 60 s")
            process.send_signal(signal.SIGINT)
            out, _ = await asyncio.wait_for(process.communicate(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode == 0, (tmp_path / "peer.log").read_text()[-2000:]
    final = json.loads(out.decode().strip().splitlines()[-1])
    assert final["bytes_from_http"] > 0
