/** The neighbour guard (peer/neighbour_guard.py's port), its shared scenarios, and floods on a session. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_OPTIONS } from "../../src/config";
import { Emitter } from "../../src/events";
import { DEFAULT_CHANNEL_WINDOW } from "../../src/p2p/channel_window";
import { NeighbourGuard, DEFAULT_GUARD_CONFIG, type GuardConfig, type Verdict } from "../../src/p2p/neighbour_guard";
import type { SegmentInfo } from "../../src/p2p/swarm_session";
import { parseIntegrityRecord } from "../../src/protocol/integrity";
import type { WireMessage } from "../../src/protocol/wire";
import { MemoryNetwork, type MemoryLink } from "../support/memory_links";
import { integrityDoc, makeSigner, pseudoRandomBytes } from "../support/signed_segments";
import { recordingSession } from "../support/solo_session";
import { until } from "../support/until";
import { loadVectors } from "../vectors";

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

  it("keeps HAVE_PIECES to the window, at its own rate", () => {
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

/** Pieces of 1 KiB so that a 1 MB segment is a 1000-piece one. */
const PIECE = 1024;
const BIG = pseudoRandomBytes(1000 * PIECE, 5);
const BIG_RECORD = parseIntegrityRecord(integrityDoc(makeSigner(), BIG, { seq: EDGE, pieceSize: PIECE }));
const BIG_SEG: SegmentInfo = { seq: EDGE, url: `http://origin/live/demo/360p/seg-${EDGE}.m4s`, start: 10, duration: 2, liveEdge: false };

function honestSession(
  net: MemoryNetwork,
  peerId = "honest00",
  body: (start: number, end: number) => AsyncGenerator<Uint8Array> = async function* () {},
) {
  const closes: string[] = [];
  const emitter = new Emitter();
  emitter.on("peer-close", (e) => void closes.push(e.peerId));
  const { session, reports, fetches } = recordingSession(net, peerId, async () => BIG_RECORD, body, {
    emitter,
    options: { ...DEFAULT_OPTIONS, pieceSize: PIECE },
  });
  session.setLiveEdge(EDGE);
  return { session, reports, closes, fetches };
}

/** A neighbour that does HELLO right and then sends what `attack` says, over a raw link. */
function hostileLink(net: MemoryNetwork): Promise<MemoryLink> {
  return new Promise((resolve) => {
    net.factoryFor("hostile0")({
      peerId: "honest00",
      initiator: false,
      rtcConfig: {},
      sendSignal: () => undefined,
      window: DEFAULT_CHANNEL_WINDOW,
      connectTimeoutMs: 10_000,
      handlers: {
        open: (l) => {
          l.send({ type: "hello", capabilities: 1, pieceSize: PIECE, maxPiecesPerRequest: 16, swarmId: "demo/360p" });
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

interface GuardStep {
  at?: number;
  every?: number;
  repeat?: number;
  peer: string;
  frame: "have" | "have_delta" | "have_pieces" | "request";
  seq?: number;
  seqs?: number[];
  seq_step?: number;
  edge?: number;
  edge_step?: number;
  pieces_sent?: number;
  pieces_step?: number;
  lag?: number;
  expect?: Record<string, number | null>;
}

interface GuardScenario {
  name: string;
  config?: Record<string, number>;
  steps: GuardStep[];
}

const camel = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** One step's frames; returns what its `expect` describes (same arithmetic as the Python runner). */
function runStep(guard: NeighbourGuard, step: GuardStep): Record<string, number | null> {
  let refused = 0;
  let passed = 0;
  let firstDrop: number | null = null;
  for (let i = 0; i < (step.repeat ?? 1); i++) {
    const now = (step.at ?? 0) + i * (step.every ?? 0);
    const shift = i * (step.seq_step ?? 0);
    const edge = (step.edge ?? -1) + i * (step.edge_step ?? 0);
    let verdict: Verdict;
    if (step.frame === "have") verdict = guard.have(now, step.peer, (step.seqs ?? []).map((s) => s + shift), edge);
    else if (step.frame === "have_delta") verdict = guard.haveDelta(now, step.peer, (step.seq ?? 0) + shift, edge);
    else if (step.frame === "have_pieces") verdict = guard.havePieces(now, step.peer, (step.seq ?? 0) + shift, edge);
    else verdict = guard.request(now, step.peer, (step.pieces_sent ?? 0) + Math.max(0, i - (step.lag ?? 0)) * (step.pieces_step ?? 0));
    if (verdict.refused) refused++;
    if (verdict.seqs.length > 0) passed++;
    if (verdict.drop && firstDrop === null) firstDrop = i;
  }
  return { refused, first_drop: firstDrop, passed_seqs: passed };
}

describe("neighbour guard: shared scenarios (tests/vectors/neighbour_guard.json)", () => {
  const { scenarios } = loadVectors<{ scenarios: GuardScenario[] }>("neighbour_guard.json");
  it.each(scenarios.map((s) => [s.name, s] as const))("%s", (_, scenario) => {
    const overrides = Object.fromEntries(Object.entries(scenario.config ?? {}).map(([k, v]) => [camel(k), v]));
    for (const key of Object.keys(overrides)) expect(DEFAULT_GUARD_CONFIG).toHaveProperty(key);
    const guard = new NeighbourGuard({ ...DEFAULT_GUARD_CONFIG, ...overrides } as GuardConfig);
    scenario.steps.forEach((step, number) => {
      const got = runStep(guard, step);
      const expected = step.expect ?? {};
      const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, got[k]]));
      expect(picked, `step ${number}`).toEqual(expected);
    });
  });
});

describe("a hostile neighbour on a swarm session", () => {
  const floods: Record<string, (i: number) => WireMessage> = {
    flood: (i) => ({ type: "have_delta", seq: EDGE + 10 + i }),
    pieces: () => ({ type: "have_pieces", seq: EDGE + 1, count: 8, bitmap: Uint8Array.of(0x80), originRate: 0 }),
    requests: (i) => ({ type: "request", requestId: i, seq: EDGE, firstPiece: 0, pieceCount: 1 }),
    cancels: (i) => ({ type: "cancel", requestId: i }),
  };
  it.each(["flood", "pieces", "requests", "cancels", "garbage"] as const)("%s: dropped, reported once, refused on its next offer; memory bounded", async (mode) => {
    const net = new MemoryNetwork();
    const honest = honestSession(net);
    honest.session.addNeighbour({ peerId: "hostile0", initiator: true, seeder: false });
    const link = await hostileLink(net);
    await until(() => expect(honest.session.peerCount).toBe(1));
    for (let i = 0; i < 20_000; i++) {
      if (mode === "garbage") link.sendRaw(Uint8Array.of(1, 0xee, i & 0xff));
      else link.send(floods[mode]!(i));
    }
    await until(() => expect(honest.reports).toEqual([["hostile0", "protocol-error", null]]));
    await until(() => expect(honest.closes).toEqual(["hostile0"]));
    expect(honest.session.guard.held("hostile0")).toBe(0);
    if (mode !== "garbage") expect(honest.session.guard.refusedFrames).toBe(DEFAULT_GUARD_CONFIG.maxViolations);
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

describe("a neighbour's CANCEL", () => {
  it("drops the pieces our link still queues for that request (what the channel holds cannot be taken back)", async () => {
    const net = new MemoryNetwork();
    const honest = honestSession(net);
    honest.session.addNeighbour({ peerId: "hostile0", initiator: true, seeder: false });
    const link = await hostileLink(net);
    await until(() => expect(honest.session.peerCount).toBe(1));
    const ours = net.links.get("honest00>hostile0") as MemoryLink;
    const purged: number[] = [];
    ours.purge = (requestId: number) => void purged.push(requestId);
    link.send({ type: "request", requestId: 7, seq: EDGE, firstPiece: 0, pieceCount: 2 });
    link.send({ type: "cancel", requestId: 7 });
    await until(() => expect(purged).toEqual([7]));
    honest.session.close();
  });
});

describe("honest neighbours at the highest legitimate rate", () => {
  afterEach(() => vi.restoreAllMocks()); // a failed test must not leave the clock frozen

  it("a cut-through copy announcing every piece, and a downloader taking a whole segment at once, are never refused", async () => {
    const net = new MemoryNetwork();
    // A's origin sends the 1000-piece segment one piece at a time: a HAVE_PIECES for each.
    const perPiece = async function* (start: number, end: number): AsyncGenerator<Uint8Array> {
      for (let off = start; off < end; off += PIECE) {
        yield BIG.slice(off, Math.min(end, off + PIECE));
        await new Promise((r) => setImmediate(r));
      }
    };
    // Frozen clock: the whole segment's announcements and requests land at one instant (the
    // hardest case for the guard's rates), and no scheduler timeout can send B or C to the
    // origin because this machine was slow (peer silence 1 s, a copy's progress 2 s).
    const clock = vi.spyOn(performance, "now").mockReturnValue(performance.now());
    const a = honestSession(net, "seedA000", perPiece);
    const b = honestSession(net, "viewB000");
    const announced = vi.spyOn(b.session.guard, "havePieces");
    const requested = vi.spyOn(a.session.guard, "request");
    a.session.setPlayhead(10, false); // A waits on the segment: it fetches it from the origin
    b.session.setPlayhead(0, false); // B wants it later: it takes A's copy as it arrives
    a.session.addNeighbour({ peerId: "viewB000", initiator: true, seeder: false });
    b.session.addNeighbour({ peerId: "seedA000", initiator: false, seeder: false });
    await until(() => expect(a.session.scheduler.snapshot().peers).toBe(1));
    await until(() => expect(b.session.scheduler.snapshot().peers).toBe(1));
    await a.session.addSegment(BIG_SEG);
    await b.session.addSegment(BIG_SEG);
    const got = await b.session.waitForSegment(EDGE, new AbortController().signal);
    expect(Buffer.compare(got.bytes(), BIG)).toBe(0); // (toEqual walks 1 MB for seconds)
    expect(announced.mock.calls.length).toBeGreaterThan(900);

    // C joins once A holds it all and takes the whole segment as fast as the links go.
    const c = honestSession(net, "viewC000");
    c.session.setPlayhead(10, false);
    a.session.addNeighbour({ peerId: "viewC000", initiator: true, seeder: false });
    c.session.addNeighbour({ peerId: "seedA000", initiator: false, seeder: false });
    await until(() => expect(c.session.scheduler.snapshot().peers).toBe(1));
    await c.session.addSegment(BIG_SEG);
    const whole = await c.session.waitForSegment(EDGE, new AbortController().signal);
    expect(Buffer.compare(whole.bytes(), BIG)).toBe(0);
    expect(whole.p2pBytes).toBe(BIG.length);
    expect(requested.mock.calls.length).toBeGreaterThan(400); // B's and C's REQUESTs at A

    for (const m of [a, b, c]) {
      expect(m.session.guard.refusedFrames).toBe(0);
      expect(m.reports).toEqual([]);
      expect(m.closes).toEqual([]);
    }
    expect(b.fetches).toEqual([]);
    expect(c.fetches).toEqual([]);
    clock.mockRestore();
    for (const m of [a, b, c]) m.session.close();
  });
});
