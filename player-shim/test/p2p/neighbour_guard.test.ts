/** The announcement guard (peer/neighbour_guard.py's port) and a flooding neighbour on a session. */
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_OPTIONS } from "../../src/config";
import { Emitter } from "../../src/events";
import { NeighbourGuard, DEFAULT_GUARD_CONFIG } from "../../src/p2p/neighbour_guard";
import { SwarmSession } from "../../src/p2p/swarm_session";
import { schedulerConfig } from "../../src/scheduler/scheduler_config";
import { MemoryNetwork, type MemoryLink } from "../support/memory_links";

const EDGE = 1000;
const LIMIT = DEFAULT_GUARD_CONFIG.ahead + DEFAULT_GUARD_CONFIG.behind + 1;

describe("neighbour guard", () => {
  it("passes announcements inside the window once", () => {
    const guard = new NeighbourGuard();
    expect(guard.haveDelta(0, "a", EDGE + 1, EDGE)).toEqual({ seqs: [EDGE + 1], replace: false, refused: false, drop: false });
    expect(guard.haveDelta(0, "a", EDGE + 1, EDGE).seqs).toEqual([]);
  });

  it("refuses and counts far-ahead announcements until the drop", () => {
    const guard = new NeighbourGuard({ ...DEFAULT_GUARD_CONFIG, maxViolations: 5 });
    const verdicts = Array.from({ length: 5 }, (_, i) => guard.haveDelta(0, "a", EDGE + 5 + i, EDGE));
    expect(verdicts.every((v) => v.refused && v.seqs.length === 0)).toBe(true);
    expect(verdicts.map((v) => v.drop)).toEqual([false, false, false, false, true]);
    expect(guard.held("a")).toBe(0);
  });

  it("ignores old announcements without counting them, keeps a HAVE's window part", () => {
    const guard = new NeighbourGuard({ ...DEFAULT_GUARD_CONFIG, maxViolations: 1 });
    expect(guard.haveDelta(0, "a", EDGE - 65, EDGE).refused).toBe(false);
    const have = guard.have(0, "a", Array.from({ length: 101 }, (_, i) => EDGE - 100 + i), EDGE);
    expect(have.refused).toBe(false);
    expect(Math.min(...have.seqs)).toBe(EDGE - 64);
    const ahead = new NeighbourGuard().have(0, "b", [EDGE, EDGE + 2, EDGE + 50], EDGE);
    expect(ahead.refused).toBe(true);
    expect(ahead.seqs.sort((x, y) => x - y)).toEqual([EDGE, EDGE + 2]);
  });

  it("keeps HAVE_PIECES to the window without rate-counting it", () => {
    const guard = new NeighbourGuard({ ...DEFAULT_GUARD_CONFIG, framesPerS: 1, burst: 1, maxViolations: 3 });
    for (let i = 0; i < 100; i++) expect(guard.havePieces(0, "a", EDGE + 1, EDGE).seqs).toEqual([EDGE + 1]);
    expect(guard.havePieces(0, "a", EDGE - 65, EDGE).refused).toBe(false);
    expect([0, 1, 2].map(() => guard.havePieces(0, "a", EDGE + 5, EDGE).drop)).toEqual([false, false, true]);
  });

  it("refuses frames over the rate", () => {
    const guard = new NeighbourGuard({ ...DEFAULT_GUARD_CONFIG, framesPerS: 10, burst: 20, maxViolations: 1000 });
    const refused = Array.from({ length: 25 }, (_, i) => guard.haveDelta(0, "a", EDGE - (i % 60), EDGE)).filter((v) => v.refused);
    expect(refused).toHaveLength(5);
    expect(guard.haveDelta(1, "a", EDGE, EDGE).refused).toBe(false);
  });

  it("keeps the set bounded as the edge moves on, and when the edge is unknown", () => {
    const guard = new NeighbourGuard({ ...DEFAULT_GUARD_CONFIG, framesPerS: 1e9, burst: 1e9 });
    let replaced = 0;
    for (let edge = 0; edge < 20_000; edge++) {
      const v = guard.haveDelta(edge, "a", edge + 1, edge);
      if (v.replace) replaced++;
      expect(v.refused).toBe(false);
    }
    expect(guard.held("a")).toBeLessThanOrEqual(LIMIT);
    expect(replaced).toBeGreaterThan(0);
    for (let seq = 0; seq < 20_000; seq++) guard.haveDelta(0, "b", seq, -1);
    expect(guard.held("b")).toBeLessThanOrEqual(LIMIT);
  });

  it("refusals expire", () => {
    const guard = new NeighbourGuard({ ...DEFAULT_GUARD_CONFIG, refuseS: 60 });
    guard.refuse(0, "a");
    expect(guard.isRefused(59, "a")).toBe(true);
    expect(guard.isRefused(59, "b")).toBe(false);
    expect(guard.isRefused(60, "a")).toBe(false);
  });
});

function honestSession(net: MemoryNetwork) {
  const reports: [string, string, number | null][] = [];
  const closes: string[] = [];
  const emitter = new Emitter();
  emitter.on("peer-close", (e) => void closes.push(e.peerId));
  const session = new SwarmSession({
    swarm: "demo/360p",
    localPeerId: "honest00",
    options: { ...DEFAULT_OPTIONS },
    schedulerConfig: schedulerConfig(),
    rtcConfig: {},
    clock: performance,
    emitter,
    signaling: { signal: () => undefined, report: (p, r, s) => void reports.push([p, r, s]) },
    origin: { streamRange: async function* () {} },
    record: async () => Promise.reject(new Error("no records here")),
    createLink: net.factoryFor("honest00"),
  });
  session.setLiveEdge(EDGE);
  return { session, reports, closes };
}

/** A neighbour that does HELLO right and then sends what `attack` says, over a raw link. */
function hostileLink(net: MemoryNetwork): Promise<MemoryLink> {
  return new Promise((resolve) => {
    net.factoryFor("hostile0")({
      peerId: "honest00",
      initiator: false,
      rtcConfig: {},
      sendSignal: () => undefined,
      highWaterMark: 1 << 20,
      lowWaterMark: 1 << 18,
      connectTimeoutMs: 10_000,
      handlers: {
        open: (l) => {
          l.send({ type: "hello", capabilities: 1, pieceSize: DEFAULT_OPTIONS.pieceSize, maxPiecesPerRequest: 16, swarmId: "demo/360p" });
          resolve(l as MemoryLink);
        },
        message: () => undefined,
        protocolError: () => undefined,
        closed: () => undefined,
        pieceSent: () => undefined,
      },
    });
  });
}

describe("a hostile neighbour on a swarm session", () => {
  it.each(["flood", "garbage"] as const)("%s: dropped, reported once, refused on its next offer; memory bounded", async (mode) => {
    const net = new MemoryNetwork();
    const honest = honestSession(net);
    honest.session.addNeighbour({ peerId: "hostile0", initiator: true, seeder: false });
    const link = await hostileLink(net);
    await vi.waitFor(() => expect(honest.session.peerCount).toBe(1));
    for (let i = 0; i < 20_000; i++) {
      if (mode === "flood") link.send({ type: "have_delta", seq: EDGE + 10 + i });
      else link.sendRaw(Uint8Array.of(1, 0xee, i & 0xff));
    }
    await vi.waitFor(() => expect(honest.reports).toEqual([["hostile0", "protocol-error", null]]));
    await vi.waitFor(() => expect(honest.closes).toEqual(["hostile0"]));
    expect(honest.session.guard.held("hostile0")).toBe(0);
    if (mode === "flood") expect(honest.session.guard.refusedFrames).toBe(DEFAULT_GUARD_CONFIG.maxViolations);
    // Its next offer (or a signaling announcement) does not make a link.
    const old = net.links.get("honest00>hostile0");
    honest.session.handleSignal("hostile0", "offer", { type: "offer", sdp: "x" });
    honest.session.addNeighbour({ peerId: "hostile0", initiator: true, seeder: false });
    expect(net.links.get("honest00>hostile0")).toBe(old); // no new link was made
    expect(honest.session.peerCount).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(honest.reports).toHaveLength(1);
    honest.session.close();
  });
});
