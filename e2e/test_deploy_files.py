"""deploy/ as an operator uses it: the systemd units pass `systemd-analyze verify`, compose.yaml
runs the same commands, and those commands start for real with `deploy/swarmcast.toml`: the
origin (RTMP ingest, no signaling) and two signaling nodes sharing Redis, on the ports
`deploy/nginx/swarmcast.conf` proxies to (the nginx file itself runs in
e2e/test_production_topology.py)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from swarmcast.e2e.redis_process import start_redis
from swarmcast.e2e.serve_process import REPO, http_get, stop_process
from swarmcast.server.cli import build_parser

DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED_BINARY = "/opt/swarmcast/bin/swarmcast"
STATE_DIR = "/var/lib/swarmcast"
# The units' instances and ports (docs/deploy.md enables signaling@8081 and @8082).
SIGNALING_PORTS = (8081, 8082)
ORIGIN_PORT, REDIS_PORT, RTMP_PORT = 8080, 6379, 1935
VENV_BINARY = str(Path(sys.executable).with_name("swarmcast"))


def exec_start(unit: Path, instance: str = "") -> list[str]:
    """The unit's ExecStart as argv (continuation lines joined, `%i` filled in)."""
    text = unit.read_text().replace("\\\n", " ")
    match = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE)
    assert match, f"{unit.name} has no ExecStart"
    return shlex.split(match.group(1).replace("%i", instance))


def unit_commands() -> dict[str, list[str]]:
    """Service name -> argv, one per signaling instance."""
    commands: dict[str, list[str]] = {}
    for unit in UNITS:
        if unit.name.endswith("@.service"):
            for port in SIGNALING_PORTS:
                commands[unit.name.replace("@.", f"@{port}.")] = exec_start(unit, str(port))
        else:
            commands[unit.name] = exec_start(unit)
    return commands


def compose_commands() -> dict[str, list[str]]:
    """compose.yaml's `command:` lists (JSON flow sequences) of the swarmcast services."""
    text = (DEPLOY / "compose.yaml").read_text()
    found = re.findall(r"^  ([\w-]+):\n(?:    .*\n)*?    command: (\[[^\]]*\])", text, re.MULTILINE)
    return {name: json.loads(flow) for name, flow in found if "swarmcast" in flow}


def parsed(argv: list[str]) -> dict[str, object]:
    """What the real CLI makes of a command line (option order does not matter)."""
    assert Path(argv[0]).name == "swarmcast", argv
    return {k: v for k, v in vars(build_parser().parse_args(argv[1:])).items() if k != "func"}


def test_there_are_units_for_the_origin_and_signaling() -> None:
    assert [u.name for u in UNITS] == ["swarmcast-origin.service", "swarmcast-signaling@.service"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """Installed as docs/deploy.md says, with the binary where this checkout's venv has it."""
    for unit in UNITS:
        copy = tmp_path / unit.name.replace("@.", "@8081.")
        copy.write_text(unit.read_text().replace(INSTALLED_BINARY, VENV_BINARY))
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_compose_runs_the_same_commands_as_the_units() -> None:
    units = unit_commands()
    compose = compose_commands()
    assert set(compose) == {"origin", "signaling-a", "signaling-b"}
    assert parsed(compose["origin"]) == parsed(units["swarmcast-origin.service"])
    for name, port in zip(("signaling-a", "signaling-b"), SIGNALING_PORTS, strict=True):
        assert parsed(compose[name]) == parsed(units[f"swarmcast-signaling@{port}.service"])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_healthy(url: str, process: subprocess.Popen[str], deadline: float) -> None:
    """Polling: a separate process gives no other signal that it serves."""
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.args!r} exited with {process.returncode}"
        try:
            http_get(url, timeout=2)
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in time")


@pytest.fixture
def deploy_ports_free() -> Iterator[None]:
    taken = [p for p in (ORIGIN_PORT, REDIS_PORT, RTMP_PORT, *SIGNALING_PORTS) if _listening(p)]
    if taken:
        pytest.skip(f"ports {taken} are taken here: run the suite in scripts/in-netns.sh")
    yield


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")
def test_unit_commands_start_with_the_deploy_config(deploy_ports_free: None) -> None:
    with tempfile.TemporaryDirectory() as state:
        env = {
            "SWARMCAST_CONFIG": str(DEPLOY / "swarmcast.toml"),
            "SWARMCAST_STREAM_KEY": "deploy-test-key",
            "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        }
        redis = start_redis(REDIS_PORT, state)
        processes = [redis]
        try:
            for argv in unit_commands().values():
                argv = [VENV_BINARY if a == INSTALLED_BINARY else a for a in argv]
                argv = [a.replace(STATE_DIR, state) for a in argv]
                processes.append(
                    subprocess.Popen(
                        argv,
                        env=env,
                        cwd=state,
                        text=True,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            deadline = time.monotonic() + 60
            for port, process in zip((ORIGIN_PORT, *SIGNALING_PORTS), processes[1:], strict=True):
                _wait_healthy(f"http://127.0.0.1:{port}/healthz", process, deadline)
            assert _listening(RTMP_PORT), "the origin unit's --rtmp listens on 1935"
            # Both nodes read the shared store: a swarm-size lookup goes to Redis.
            for port in SIGNALING_PORTS:
                body = http_get(f"http://127.0.0.1:{port}/api/swarm-size?swarm=live/360p")
                assert json.loads(body) == {"swarm": "live/360p", "peers": 0}
            # The origin runs without signaling (the units' --no-signaling).
            with pytest.raises(urllib.error.HTTPError):
                http_get(f"http://127.0.0.1:{ORIGIN_PORT}/api/swarm-size?swarm=live/360p")
        finally:
            for process in reversed(processes):
                stop_process(process)
