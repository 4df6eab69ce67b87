"""The NAT lab's network on real namespaces (e2e/lab/nat_topology.py) behaves like the internet
it stands for: two port-preserving ("cone") home NATs punch a UDP hole to each other when both
sides send at once, a symmetric NAT does not let a cone peer in, and two aioice agents behind
symmetric NATs connect through coturn's relays."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from swarmcast.e2e.coturn import run_coturn
from swarmcast.e2e.lab.nat_scenario import build_scenario
from swarmcast.e2e.lab.nat_topology import TURN_ADDRESS, NatTopology

REPO = Path(__file__).resolve().parents[1]
# Both ends send to each other's public (router WAN) address from a fixed port for 3 s.
PUNCH = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(0.1)
got = 0
end = time.time() + 3
while time.time() < end:
    s.sendto(b"punch", (sys.argv[2], int(sys.argv[3])))
    try:
        got += s.recvfrom(64)[0] == b"punch"
    except OSError:
        pass
print(got)
"""
# One aioice agent: gathers (STUN + TURN on coturn), prints its candidates, reads the other's,
# connects and prints the selected pair's candidate types; closes when told (a line on stdin).
ICE = r"""
import asyncio, json, sys, time
import aioice
from swarmcast.protocol.turn import turn_credentials

async def main():
    user, password = turn_credentials(sys.argv[2], "test", time.time(), 600)
    server = (sys.argv[3], 3478)
    agent = aioice.Connection(ice_controlling=sys.argv[1] == "1", stun_server=server,
                              turn_server=server, turn_username=user, turn_password=password,
                              use_ipv6=False)
    await agent.gather_candidates()
    print(json.dumps({"u": agent.local_username, "p": agent.local_password,
                      "c": [c.to_sdp() for c in agent.local_candidates]}), flush=True)
    remote = json.loads(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
    agent.remote_username, agent.remote_password = remote["u"], remote["p"]
    for line in remote["c"]:
        await agent.add_remote_candidate(aioice.Candidate.from_sdp(line))
    await agent.add_remote_candidate(None)
    try:
        await asyncio.wait_for(agent.connect(), 20)
        pair = agent._nominated[1]
        print(f"{pair.local_candidate.type}/{pair.remote_candidate.type}", flush=True)
    except Exception as exc:
        print(f"failed: {exc!r}", flush=True)
    # Stay up until both ends reported: the controlled end may still await the nomination.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await agent.close()

asyncio.run(main())
"""

# Sends 3.6 MB of UDP as fast as it can: far more than an access link's tbf buffer holds (a
# large send buffer, else the socket blocks before the qdisc overflows, as a single flow would).
FLOOD = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
for _ in range(3000):
    try:
        s.sendto(b"x" * 1200, (sys.argv[1], 9))
    except OSError:  # ENOBUFS: the qdisc dropped it
        pass
"""

pytestmark = [pytest.mark.netns, pytest.mark.timeout(120)]


@pytest.fixture
def topology() -> Iterator[NatTopology]:
    if os.geteuid() != 0:
        pytest.skip("ip netns needs root")
    scenario = build_scenario({"hosts": [{"count": 2, "nat": "cone"},
                                         {"count": 2, "nat": "symmetric"}]})  # fmt: skip
    nat = NatTopology.create(scenario.hosts)
    try:
        yield nat
    finally:
        nat.close()


def _in(nat: NatTopology, host: int, code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["ip", "netns", "exec", nat.host_netns[host], sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip


def _punch(nat: NatTopology, a: int, b: int) -> tuple[int, int]:
    """Packets each of hosts a and b received from the other while both sent (port 5000+i)."""
    wan = {i: f"10.77.240.{100 + i}" for i in (a, b)}  # nat_topology: router WAN .100+i
    first = _in(nat, a, PUNCH, str(5000 + a), wan[b], str(5000 + b))
    second = _in(nat, b, PUNCH, str(5000 + b), wan[a], str(5000 + a))
    return int(first.communicate(timeout=20)[0]), int(second.communicate(timeout=20)[0])


def test_cone_nats_punch_through_and_symmetric_ones_do_not(topology: NatTopology) -> None:
    assert all(n > 0 for n in _punch(topology, 0, 1))  # cone - cone
    # The symmetric NAT maps host 2's socket to a new port towards host 0: host 0's packets to
    # the port it was told about find no mapping, and its cone router filters host 2's.
    assert _punch(topology, 0, 2) == (0, 0)


def test_symmetric_nats_connect_through_turn(topology: NatTopology, tmp_path: Path) -> None:
    secret = secrets.token_hex(8)
    with run_coturn(
        tmp_path / "coturn", TURN_ADDRESS, secret=secret,
        netns_exec=["ip", "netns", "exec", topology.turn],
    ):  # fmt: skip
        agents = [_in(topology, host, ICE, role, secret, TURN_ADDRESS)
                  for host, role in ((2, "1"), (3, "0"))]  # fmt: skip
        offers = [agent.stdout.readline() for agent in agents if agent.stdout]
        for agent, offer in zip(agents, reversed(offers), strict=True):
            assert agent.stdin is not None
            agent.stdin.write(offer)
            agent.stdin.flush()
        results = [agent.stdout.readline().strip() for agent in agents if agent.stdout]
        for agent in agents:
            agent.communicate("bye\n", timeout=30)
    assert all("relay" in json.dumps(offer) for offer in offers)
    # Two symmetric NATs: only a path through a relay works.
    assert all("relay" in r and not r.startswith("failed") for r in results), results


def test_access_drops_count_what_a_host_cap_dropped(topology: NatTopology) -> None:
    assert topology.access_drops() == {i: {"up": 0, "down": 0} for i in range(4)}
    _in(topology, 0, FLOOD, "10.77.240.101").communicate(timeout=60)
    drops = topology.access_drops()
    assert drops[0]["up"] > 0  # host 0's uplink cap
    assert drops[1] == {"up": 0, "down": 0}  # its router dropped the unsolicited packets first
