"""signaling.redis_store against a real redis-server on a free port: the same plans give the
same views as the in-memory store, and two signaling nodes share one swarm."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import socketio
from aiohttp import web

from swarmcast.e2e.redis_process import free_port, refusing_port, start_redis
from swarmcast.protocol import signaling_schema as schema
from swarmcast.signaling.attach import attach_signaling
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.redis_store import RedisSwarmStore
from swarmcast.signaling.report_policy import Accusation
from swarmcast.signaling.server import SignalingServer
from swarmcast.signaling.swarm_matcher import PeerInfo, pair, plan_join, plan_leave, plan_unlink
from swarmcast.signaling.swarm_store import InMemorySwarmStore
from tests.signaling.signaling_fixtures import SECRET, Client, RunningServer, connect, serve_app

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        process = start_redis(port, workdir)
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(10)


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisSwarmStore]:
    redis_store = RedisSwarmStore.from_url(redis_url)
    await redis_store._redis.flushdb()
    yield redis_store
    await redis_store.close()


async def test_same_views_as_the_in_memory_store(store: RedisSwarmStore) -> None:
    memory = InMemorySwarmStore()
    now = 1000.0
    swarm = "demo/720p"
    operations: list[tuple[str, str, str]] = [("join", f"peer-{i:02d}", "") for i in range(9)]
    operations += [("leave", "peer-03", ""), ("unlink", "peer-00", "peer-01")]
    operations += [("join", "peer-10", ""), ("leave", "peer-00", "")]
    for op, a, b in operations:
        now += 1
        for target in (memory, store):
            async with target.locked(swarm):
                view = await target.load(swarm)
                if op == "join":
                    info = PeerInfo(a, f"10.0.{len(a) % 3}.0/24", now, 3, 1_000_000, False, "s")
                    plan = plan_join(view, info, now)
                elif op == "leave":
                    plan = plan_leave(view, a, now)
                else:
                    plan = plan_unlink(view, a, b, now, 60)
                await target.apply(swarm, plan, now)
        in_memory, in_redis = await memory.load(swarm), await store.load(swarm)
        assert dict(in_redis.peers) == dict(in_memory.peers)
        assert dict(in_redis.links) == dict(in_memory.links)
        assert dict(in_redis.blocked) == dict(in_memory.blocked)
    assert await store.neighbours(swarm, "peer-01") == (await memory.load(swarm)).neighbours(
        "peer-01"
    )
    assert await store.swarm_names() == [swarm]
    for peer_id in list((await store.load(swarm)).peers):
        async with store.locked(swarm):
            await store.apply(swarm, plan_leave(await store.load(swarm), peer_id, now), now)
    assert await store.swarm_names() == []


async def test_reports_and_bans(store: RedisSwarmStore) -> None:
    now = time.time()
    assert await store.count_distinct("demo", "bad", "a", now, 300) == 1
    assert await store.count_distinct("demo", "bad", "a", now + 1, 300) == 1
    assert await store.count_distinct("demo", "bad", "b", now + 2, 300) == 2
    assert await store.count_distinct("demo", "bad", "c", now + 400, 300) == 1
    first = Accusation("198.51.100.1", "198.51.100.0/24", 1.0, now)
    second = Accusation("203.0.113.5", "203.0.113.0/24", 0.25, now + 2)
    assert await store.record_accusation("demo", "addr:192.0.2.1", first, 300) == [first]
    kept = await store.record_accusation("demo", "addr:192.0.2.1", second, 300)
    assert sorted(kept, key=lambda a: a.at) == [first, second]
    later = Accusation("203.0.113.5", "203.0.113.0/24", 1.0, now + 400)
    assert await store.record_accusation("demo", "addr:192.0.2.1", later, 300) == [later]
    await store.ban("demo", "sub:bad", now + 60)
    await store.ban("demo", "addr:192.0.2.1", now + 60)
    assert await store.banned_until("demo", "sub:bad", now) == pytest.approx(now + 60)
    assert await store.banned_until("demo", "addr:192.0.2.1", now) == pytest.approx(now + 60)
    assert await store.banned_until("demo", "sub:bad", now + 61) is None
    assert await store.banned_until("other", "sub:bad", now) is None
    assert await store.ban_count(now) == 1, "one banned identity (its address is not counted)"


async def test_lock_excludes_concurrent_holders(store: RedisSwarmStore) -> None:
    inside = 0
    peak = 0

    async def hold() -> None:
        nonlocal inside, peak
        async with store.locked("demo/720p"):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(hold() for _ in range(8)))
    assert peak == 1


async def test_paths_are_shared_and_direct_wins(redis_url: str, store: RedisSwarmStore) -> None:
    """Two nodes' stores on one Redis see each other's path reports, like one in-memory store."""
    other = RedisSwarmStore.from_url(redis_url)
    memory = InMemorySwarmStore()
    swarm, now = "demo/720p", 1000.0
    try:
        for writer, reader in ((store, other), (memory, memory)):
            for peer_id in ("a", "b", "c"):
                async with writer.locked(swarm):
                    info = PeerInfo(peer_id, "10.0.0.0/24", now, 3, 1_000_000, False, "s")
                    await writer.apply(swarm, plan_join(await writer.load(swarm), info, now), now)
            await writer.record_path(swarm, "a", "b", "relay")
            await writer.record_path(swarm, "b", "a", "direct")  # the other end saw it direct
            await writer.record_path(swarm, "a", "b", "relay")  # ...and a relay never wins back
            await writer.record_path(swarm, "c", "a", "relay")
            assert await reader.load_paths(swarm) == {
                pair("a", "b"): "direct",
                pair("a", "c"): "relay",
            }
            await reader.forget_paths(swarm, [pair("a", "c")])
            assert await writer.load_paths(swarm) == {pair("a", "b"): "direct"}
            for peer_id in ("a", "b", "c"):  # an emptied swarm forgets its paths
                async with writer.locked(swarm):
                    await writer.apply(
                        swarm, plan_leave(await writer.load(swarm), peer_id, now), now
                    )
            assert await reader.load_paths(swarm) == {}
    finally:
        await other.close()


async def _node(
    redis_url: str, config: SignalingConfig | None = None
) -> tuple[RunningServer, web.AppRunner, RedisSwarmStore]:
    app = web.Application()
    store = RedisSwarmStore.from_url(redis_url)
    signaling: SignalingServer = attach_signaling(
        app,
        config or SignalingConfig(),
        SECRET,
        store=store,
        client_manager=socketio.AsyncRedisManager(redis_url),
    )
    runner, url = await serve_app(app)
    return RunningServer(url, signaling, app), runner, store


class TwoNodes:
    """Two signaling nodes on one Redis, started by the test (with its config); the fixture
    closes their clients, apps and stores after it."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.clients: list[Client] = []
        self.runners: list[web.AppRunner] = []
        self.stores: list[RedisSwarmStore] = []

    async def start(
        self, config: SignalingConfig | None = None
    ) -> tuple[RunningServer, RunningServer]:
        (node_a, runner_a, store_a), (node_b, runner_b, store_b) = (
            await _node(self.redis_url, config),
            await _node(self.redis_url, config),
        )
        self.runners += [runner_a, runner_b]
        self.stores += [store_a, store_b]
        return node_a, node_b

    async def connect(self, node: RunningServer) -> Client:
        client = await connect(node)
        self.clients.append(client)
        return client

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients))
        for runner in self.runners:
            await runner.cleanup()
        for node_store in self.stores:
            await node_store.close()


@pytest.fixture
async def two_nodes(redis_url: str, store: RedisSwarmStore) -> AsyncIterator[TwoNodes]:
    """After `store`, so that the nodes share an emptied Redis."""
    nodes = TwoNodes(redis_url)
    yield nodes
    await nodes.close()


async def test_two_nodes_share_a_swarm(two_nodes: TwoNodes) -> None:
    node_a, node_b = await two_nodes.start()
    alice = await two_nodes.connect(node_a)
    bob = await two_nodes.connect(node_b)
    await alice.join()
    ack = await bob.join()
    assert [n["peer_id"] for n in ack["neighbours"]] == [alice.peer_id]
    event = await alice.next_neighbours()  # emitted by node B, delivered by node A
    assert event["add"][0]["peer_id"] == bob.peer_id
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    assert await bob.call("signal", {"to": alice.peer_id, "kind": "offer", "data": offer}) == {
        "ok": True
    }
    assert await alice.next("signal") == {"from": bob.peer_id, "kind": "offer", "data": offer}
    await bob.close()  # node B drops bob; node A's client hears of it
    removal = await alice.next_neighbours()
    assert removal["remove"] == [bob.peer_id]
    snapshot = await node_a.signaling.snapshot()
    assert snapshot["peers"] == 1 and snapshot["swarms"][0]["swarm"] == "demo/720p"
    assert schema.NAMESPACE == "/swarm"


async def test_a_path_heard_by_one_node_steers_a_join_on_another(two_nodes: TwoNodes) -> None:
    node_a, node_b = await two_nodes.start(SignalingConfig(max_neighbours=3))
    relayed, a, b = [await two_nodes.connect(node_a) for _ in range(3)]
    late = await two_nodes.connect(node_b)
    for client in (relayed, a, b):
        await client.join()
    for client in (relayed, a, b):
        while len(client.neighbours) < 2:
            await client.next_neighbours()
    for client in (a, b):  # told to node A only
        ack = await client.call("path", {"peer_id": relayed.peer_id, "path": "relay"})
        assert ack == {"ok": True}
    # Node B has never heard a path: without Redis it would pick the oldest, `relayed`.
    ack = await late.join(max_neighbours=1)
    assert ack["ok"] and late.neighbours <= {a.peer_id, b.peer_id} and len(late.neighbours) == 1


async def test_standalone_app_with_redis(redis_url: str, store: RedisSwarmStore) -> None:
    from swarmcast.signaling.cli import build_app

    runner, url = await serve_app(build_app(SignalingConfig(), SECRET, redis_url))
    node = RunningServer(url, None, runner.app)  # type: ignore[arg-type]
    client = await connect(node)
    try:
        assert (await client.join("360p"))["ok"]
        assert await store.swarm_names() == ["demo/360p"]
    finally:
        await client.close()
        await runner.cleanup()


async def test_two_nodes_share_control_and_viewer_figures(two_nodes: TwoNodes) -> None:
    """Control set through node A reaches a viewer of node B; A's figures include B's viewers."""
    from swarmcast.protocol.beacon_schema import parse_beacon_ack, parse_control
    from tests.protocol.beacon_vectors import BEACON

    config = SignalingConfig(admin_token="t0ken-for-two-nodes")
    node_a, node_b = await two_nodes.start(config)
    alice, bob = await two_nodes.connect(node_a), await two_nodes.connect(node_b)
    await alice.call("beacon", {**BEACON, "http_bytes": 100, "upload_capacity_bps": 300})
    await bob.call("beacon", {**BEACON, "http_bytes": 200, "upload_capacity_bps": 500})
    await node_b.signaling.plane.sample()  # B publishes its aggregates to Redis
    control = await node_a.signaling.plane.set_control("demo", {"p2p": False})
    assert control.version == 1
    assert parse_control(await bob.next("control")).p2p is False  # pushed through B
    assert parse_beacon_ack(await bob.call("beacon", BEACON)).p2p is False  # B's store
    assert (await bob.join())["error"]["code"] == "p2p-off"
    summary = (await node_a.signaling.plane.summaries())["demo"]
    assert summary["viewers"] == 2
    # B's part is as of its last publish (one sample interval old at most).
    assert summary["totals"]["http_bytes"] == 100 + 200
    # The upload-capacity bound sums both nodes' viewers' capacity.
    assert summary["upload_bound_by_rendition"]["360p"]["capacity_bps"] == 300 + 500
    assert summary["offload_upload_bound"] is not None


async def test_dead_node_members_are_reaped_and_swarms_rebuilt(
    two_nodes: TwoNodes, store: RedisSwarmStore
) -> None:
    """signaling.cluster: a node that stops beating loses its members (neighbours told); a
    store that lost everything (Redis restarted) gets each node's members back."""
    from swarmcast.signaling.cluster import ClusterMembership

    node_a, node_b = await two_nodes.start()
    store_a, store_b = two_nodes.stores
    cluster_a = ClusterMembership(node_a.signaling, store_a)
    cluster_b = ClusterMembership(node_b.signaling, store_b)
    alice, bob = await two_nodes.connect(node_a), await two_nodes.connect(node_b)
    await cluster_a.tick()
    await cluster_b.tick()
    await alice.join()
    await bob.join()
    assert (await alice.next_neighbours())["add"][0]["peer_id"] == bob.peer_id
    # Node B dies without a word: its beat expires, bob stays in Redis until A reaps him.
    await store._redis.delete(f"sc:node:{store_b.node_id}")
    await cluster_a.tick()
    assert (await alice.next_neighbours())["remove"] == [bob.peer_id]
    assert (await node_a.signaling.snapshot())["peers"] == 1
    # Redis restarts empty: A's next beat finds its mark gone and puts alice back.
    await store._redis.flushdb()
    assert (await node_a.signaling.snapshot())["peers"] == 0
    await cluster_a.tick()
    snapshot = await node_a.signaling.snapshot()
    assert snapshot["peers"] == 1 and snapshot["swarms"][0]["swarm"] == "demo/720p"


async def test_a_rebuild_that_fails_half_way_is_retried(
    two_nodes: TwoNodes, store: RedisSwarmStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After Redis restarts, the beat that finds the node's mark gone also sets it again; if
    putting the members back then fails (the first command on a connection the restart dropped
    does), the next beat must still put them back (a CI run once ended with an empty swarm)."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from swarmcast.signaling.cluster import ClusterMembership

    node_a, _ = await two_nodes.start()
    cluster = ClusterMembership(node_a.signaling, two_nodes.stores[0])
    await cluster.tick()
    alice = await two_nodes.connect(node_a)
    await alice.join()
    await store._redis.flushdb()
    readd = node_a.signaling.readd_member
    failures = [RedisConnectionError("Connection closed by server.")]

    async def readd_once_failing(swarm: str, info: PeerInfo) -> None:
        if failures:
            raise failures.pop()
        await readd(swarm, info)

    monkeypatch.setattr(node_a.signaling, "readd_member", readd_once_failing)
    with pytest.raises(RedisConnectionError):
        await cluster.tick()
    assert (await node_a.signaling.snapshot())["peers"] == 0
    await cluster.tick()  # the mark is back, the members are not: rebuilt now
    assert (await node_a.signaling.snapshot())["peers"] == 1
    await cluster.tick()  # nothing pending: no second re-add
    assert (await node_a.signaling.snapshot())["peers"] == 1


async def test_operator_api_answers_503_while_redis_is_down() -> None:
    """A node whose Redis is unreachable (down, restarting) answers the operator's poller and
    the members' swarm-size lookup with a retryable 503, not a 500 (issue 10)."""
    from swarmcast.signaling.cli import build_app

    with refusing_port() as closed_port:  # nothing listens there: connections are refused
        config = SignalingConfig(admin_token="op-token")
        app = build_app(config, SECRET, f"redis://127.0.0.1:{closed_port}/0")
        runner, url = await serve_app(app)
        auth = {"Authorization": "Bearer op-token"}
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{url}/api/swarms", headers=auth) as response:
                    assert response.status == 503, await response.text()
                    assert response.headers["Retry-After"] == "1"
                    assert "swarm store unavailable" in (await response.json())["error"]
                async with http.get(f"{url}/api/swarm-size?swarm=demo/360p") as response:
                    assert response.status == 503, await response.text()
        finally:
            await runner.cleanup()
