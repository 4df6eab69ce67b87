/**
 * SignalingClient's ordering rule (docs/protocol.md §4.3) over a fake socket: `neighbours`
 * events that arrive before the join ack wait for it, stale swarms are dropped.
 */
import { describe, expect, it, vi } from "vitest";
import { SignalingClient, type Neighbour, type SignalingHandlers } from "../../src/p2p/signaling_client";
import { FakeSocket } from "../support/fake_socket";

const A = "peer-aaaa";
const B = "peer-bbbb";
const C = "peer-cccc";
const D = "peer-dddd";
const M = "peer-mmmm";
const N = "peer-nnnn";

const entry = (peerId: string, initiator = false) => ({ peer_id: peerId, initiator, seeder: false });
const event = (swarm: string, add: string[], remove: string[] = []) => ({ swarm, add: add.map((p) => entry(p)), remove });
const joinAck = (swarm: string, neighbours: string[]) => ({
  ok: true,
  peer_id: "me-peer-0",
  swarm,
  neighbours: neighbours.map((p) => entry(p, true)),
  ice_servers: [],
  max_neighbours: 5,
});
const ids = (neighbours: Neighbour[]) => neighbours.map((n) => n.peerId);

const quietHandlers: SignalingHandlers = {
  neighbours: () => undefined,
  signal: () => undefined,
  disconnected: () => undefined,
  reconnected: () => undefined,
  error: () => undefined,
};

function clientOn(socket: FakeSocket, handlers: SignalingHandlers = quietHandlers): SignalingClient {
  return new SignalingClient({
    url: "http://origin",
    path: "/socket.io/",
    namespace: "/swarm",
    token: async () => "token",
    handlers,
    timeoutMs: 1000,
    openSocket: () => socket.asSocket(),
  });
}

async function connectedClient() {
  const socket = new FakeSocket();
  const delivered: [string, string[], string[]][] = [];
  const controls: number[] = [];
  const handlers: SignalingHandlers = {
    neighbours: (swarm, add, remove) => void delivered.push([swarm, ids(add), remove]),
    signal: () => undefined,
    disconnected: () => undefined,
    reconnected: () => undefined,
    error: () => undefined,
    control: (c) => void controls.push(c.version),
  };
  const client = clientOn(socket, handlers);
  const connected = client.connect();
  socket.fire("connect");
  await connected;
  /** Starts a join and returns it once its `join` is on the wire (so the server may answer). */
  const startJoin = async (rendition: string) => {
    const before = socket.calls.length;
    const joined = client.join("demo", rendition, 0);
    await vi.waitFor(() => expect(socket.calls.length).toBe(before + 1));
    const call = socket.calls[before]!;
    expect(call.event).toBe("join");
    return { joined, reply: (ack: unknown) => call.reply(null, ack) };
  };
  return { socket, client, delivered, startJoin, controls };
}

describe("SignalingClient neighbour ordering (§4.3)", () => {
  it("applies events that overtook the join ack after the ack's list", async () => {
    const { socket, client, delivered, startJoin } = await connectedClient();
    const join = await startJoin("720p");
    // A later arrival splits our link to B before our ack is out, another one links to us.
    socket.fire("neighbours", event("demo/720p", [C], [B]));
    socket.fire("neighbours", event("demo/720p", [D]));
    expect(delivered).toEqual([]);
    join.reply(joinAck("demo/720p", [A, B]));
    const joined = await join.joined;
    expect(ids(joined.neighbours)).toEqual([A, C, D]);
    expect(joined.neighbours[0]?.initiator).toBe(true);
    expect(delivered).toEqual([]); // folded into the join result, not delivered twice
    socket.fire("neighbours", event("demo/720p", [], [A]));
    expect(delivered).toEqual([["demo/720p", [], [A]]]);
    expect(ids(client.neighbours)).toEqual([C, D]);
    expect(client.swarm).toBe("demo/720p");
  });

  it("ignores events for any swarm but the latest joined one", async () => {
    const { socket, client, delivered, startJoin } = await connectedClient();
    socket.fire("neighbours", event("demo/720p", [A])); // before any join: nothing to apply to
    const first = await startJoin("720p");
    first.reply(joinAck("demo/720p", [A]));
    await first.joined;
    const second = await startJoin("360p"); // rendition switch
    socket.fire("neighbours", event("demo/720p", [B], [A])); // old swarm, overtaking the ack
    socket.fire("neighbours", event("demo/360p", [N]));
    second.reply(joinAck("demo/360p", [M]));
    expect(ids((await second.joined).neighbours)).toEqual([M, N]);
    socket.fire("neighbours", event("demo/720p", [C]));
    expect(delivered).toEqual([]);
    expect(ids(client.neighbours)).toEqual([M, N]);
    expect(client.swarm).toBe("demo/360p");
  });

  it("a refused join passes on the buffered events of the swarm it is still in", async () => {
    const { socket, client, delivered, startJoin } = await connectedClient();
    const first = await startJoin("720p");
    first.reply(joinAck("demo/720p", [A]));
    await first.joined;
    const second = await startJoin("360p");
    socket.fire("neighbours", event("demo/720p", [B]));
    socket.fire("neighbours", event("demo/360p", [N]));
    second.reply({ ok: false, error: { code: "rate-limited", message: "slow down" } });
    await expect(second.joined).rejects.toMatchObject({ code: "rate-limited" });
    expect(delivered).toEqual([["demo/720p", [B], []]]);
    expect(ids(client.neighbours)).toEqual([A, B]);
  });

  it("serializes joins: the second is sent only after the first's ack", async () => {
    const { socket, client, startJoin } = await connectedClient();
    const first = await startJoin("720p");
    const second = client.join("demo", "360p", 0);
    await new Promise((resolve) => setTimeout(resolve, 0)); // let any eager emit happen
    expect(socket.calls.length).toBe(1);
    first.reply(joinAck("demo/720p", [A]));
    await first.joined;
    await vi.waitFor(() => expect(socket.calls.length).toBe(2));
    socket.calls[1]!.reply(null, joinAck("demo/360p", []));
    expect((await second).swarm).toBe("demo/360p");
  });

  it("forgets the set when the connection drops", async () => {
    const { socket, client, delivered, startJoin } = await connectedClient();
    const join = await startJoin("720p");
    join.reply(joinAck("demo/720p", [A]));
    await join.joined;
    socket.fire("disconnect", "transport close");
    expect(client.neighbours).toEqual([]);
    expect(client.swarm).toBeNull();
    socket.fire("neighbours", event("demo/720p", [B]));
    expect(delivered).toEqual([]);
  });
});

describe("SignalingClient connect refusals", () => {
  const refusedClient = () => {
    const socket = new FakeSocket();
    return { socket, connected: clientOn(socket).connect() };
  };

  it("keeps the server's code and message", async () => {
    const { socket, connected } = refusedClient();
    const message = "signaling does not accept pages from https://www.example.com: ...";
    const error = Object.assign(new Error("origin-not-allowed"), { data: { code: "origin-not-allowed", message } });
    socket.fire("connect_error", error);
    await expect(connected).rejects.toMatchObject({ code: "origin-not-allowed", message: `origin-not-allowed: ${message}` });
  });

  it("calls a transport failure unreachable", async () => {
    const { socket, connected } = refusedClient();
    socket.fire("connect_error", new Error("websocket error"));
    await expect(connected).rejects.toMatchObject({ code: "unreachable" });
  });
});

describe("SignalingClient operator plane (§4.7)", () => {
  const control = { stream: "demo", version: 2, p2p: false, ramp_percent: 100, shadow: false, upload: { cap_bps: null, save_data: true, background_percent: 50 } };
  const beacon = { seq: 1, rendition: null, p2p: "on", reason: null, ttff_ms: null, stalls: 0, stall_ms: 0, watch_ms: 0, http_bytes: 0, p2p_bytes: 0, upload_bytes: 0, shadow_saved_bytes: 0, verify_failures: 0, peers: 0, conn_attempts: 0, conn_successes: 0, pairs: { host: 0, srflx: 0, prflx: 0, relay: 0 }, latency_ms: null } as const;

  it("sends beacons and returns the ack's control; passes pushed control on, drops bad ones", async () => {
    const { socket, client, controls } = await connectedClient();
    const sent = client.beacon(beacon);
    await vi.waitFor(() => expect(socket.calls.length).toBe(1));
    expect(socket.calls[0]!.event).toBe("beacon");
    socket.calls[0]!.reply(null, { ok: true, control });
    expect((await sent).p2p).toBe(false);
    socket.fire("control", { ...control, version: 3 });
    socket.fire("control", { ...control, ramp_percent: 500 });
    expect(controls).toEqual([3]);
    await expect(client.beacon({ ...beacon, http_bytes: -1 })).rejects.toThrow();
  });
});

describe("SignalingClient path reports (§4.2)", () => {
  it("sends `path` with the neighbour and the kind; refuses a bad peer id locally", async () => {
    const { socket, client } = await connectedClient();
    client.path(A, "relay");
    await vi.waitFor(() => expect(socket.calls.length).toBe(1));
    expect(socket.calls[0]).toMatchObject({ event: "path", payload: { peer_id: A, path: "relay" } });
    socket.calls[0]!.reply(null, { ok: true });
    client.path("not a peer id!", "direct"); // checked before sending: nothing goes out
    await new Promise((r) => setTimeout(r, 0));
    expect(socket.calls).toHaveLength(1);
  });
});
