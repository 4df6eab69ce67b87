"""The Sybil ban attack of issue 9 (finding 1), replayed with real socket.io clients against the
real signaling server: free tokens from one address or one /24 must ban no honest viewer, while
a peer that really sends bad pieces, reported by diverse neighbours, is banned and stays out
with fresh tokens. Addresses come through a trusted X-Forwarded-For (as behind a proxy)."""

from __future__ import annotations

import asyncio
import dataclasses

from swarmcast.signaling.config import SignalingConfig
from tests.signaling.signaling_fixtures import Client, FakeClock, connect, running_server

# The attack used seeder claims for 32 neighbours; viewers get the default K.
CONFIG = SignalingConfig(trusted_proxies=("127.0.0.1",))
HONEST = 12


def honest_address(i: int) -> str:
    """Each honest viewer on its own home network."""
    return f"198.51.{100 + i}.7"


async def run_sybil_attack(
    config: SignalingConfig,
    attacker_addresses: list[str],
    rounds: int,
    patience_s: float = 0.0,
) -> int:
    """The issue's attack: each round a fresh token from the next attacker address joins
    claiming to be a seeder, reports every neighbour `bad-piece`, and leaves. Returns how many
    honest viewers were banned (told `banned` or disconnected). With `patience_s`, each Sybil
    waits that long in the swarm before reporting (to earn full standing)."""
    clock = FakeClock()
    async with running_server(config, clock=clock) as server:
        honest: list[Client] = []
        try:
            for i in range(HONEST):
                client = await connect(server, headers={"X-Forwarded-For": honest_address(i)})
                honest.append(client)
                assert (await client.join())["ok"]
            for round_ in range(rounds):
                address = attacker_addresses[round_ % len(attacker_addresses)]
                sybil = await connect(server, headers={"X-Forwarded-For": address})
                if sybil.connect_error is not None:
                    continue  # refused (e.g. a connection cap): the attack only gets weaker
                try:
                    ack = await sybil.join(seeder=True, max_neighbours=32)
                    if not ack["ok"]:
                        continue
                    clock.advance(patience_s)
                    for victim in sorted(sybil.neighbours):
                        await sybil.call("report", {"peer_id": victim, "reason": "bad-piece"})
                finally:
                    await sybil.close()
            # Every report was acked (the server handled it): bans, if any, happened already.
            banned = 0
            for client in honest:
                errors = client.queue("error")
                codes = [errors.get_nowait()["code"] for _ in range(errors.qsize())]
                if "banned" in codes or not client.sio.connected:
                    banned += 1
            return banned
        finally:
            await asyncio.gather(*(c.close() for c in honest))


async def test_sybil_tokens_from_one_address_ban_no_honest_viewer() -> None:
    assert await run_sybil_attack(CONFIG, ["203.0.113.66"], rounds=8) == 0


async def test_sybil_tokens_from_one_prefix_ban_no_honest_viewer() -> None:
    addresses = [f"203.0.113.{i}" for i in range(1, 41)]
    assert await run_sybil_attack(CONFIG, addresses, rounds=40) == 0


async def test_a_bad_peer_reported_by_diverse_neighbours_stays_banned_with_fresh_tokens() -> None:
    clock = FakeClock()
    config = dataclasses.replace(CONFIG, max_neighbours=3)
    bad_address = "192.0.2.66"
    async with running_server(config, clock=clock) as server:
        bad = await connect(server, headers={"X-Forwarded-For": bad_address})
        honest = [
            await connect(server, headers={"X-Forwarded-For": honest_address(i)}) for i in range(3)
        ]
        opened = [bad, *honest]
        try:
            for client in honest:
                assert (await client.join())["ok"]
            clock.advance(120)  # the honest viewers have watched for two minutes
            assert (await bad.join())["ok"]
            reporters = [c for c in honest if c.peer_id in bad.neighbours]
            assert len(reporters) >= 2
            for reporter in reporters[:2]:
                ack = await reporter.call("report", {"peer_id": bad.peer_id, "reason": "bad-piece"})
                assert ack == {"ok": True}
            assert (await bad.next("error"))["code"] == "banned"
            await bad.wait_disconnected()
            # A fresh token (a new identity) from the same address is still kept out...
            again = await connect(server, headers={"X-Forwarded-For": bad_address})
            opened.append(again)
            assert again.connect_error is not None and again.connect_error["message"] == "banned"
            # ...for the ban time, and no longer.
            clock.advance(config.ban_s + 1)
            back = await connect(server, headers={"X-Forwarded-For": bad_address})
            opened.append(back)
            assert back.connect_error is None and (await back.join())["ok"]
            assert all(c.sio.connected for c in honest)
        finally:
            await asyncio.gather(*(c.close() for c in opened))


async def test_patient_sybils_from_two_networks_ban_at_most_the_prefix_budget() -> None:
    """The known limit (docs/security.md §4.2): attackers in two /24s who wait for full
    standing can ban, but only the few viewers each prefix's blame budget allows per window."""
    first = [f"203.0.113.{i}" for i in range(1, 21)]
    second = [f"192.0.2.{i}" for i in range(1, 21)]
    interleaved = [a for pair in zip(first, second, strict=True) for a in pair]
    banned = await run_sybil_attack(CONFIG, interleaved, rounds=40, patience_s=60)
    print("honest viewers banned by patient Sybils from two /24s:", banned)
    assert banned <= CONFIG.report_budget_per_prefix, banned
