/** The swarm-session adapter with two members on in-memory links: P2P transfer, bad peers. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Emitter, type ShimEventMap } from "../../src/events";
import { SwarmSession, type SegmentInfo, type SessionDeps } from "../../src/p2p/swarm_session";
import { parseIntegrityRecord, type IntegrityRecord } from "../../src/protocol/integrity";
import { Timeline } from "../../src/timeline";
import { MemoryNetwork } from "../support/memory_links";
import { integrityDoc, makeSigner, pseudoRandomBytes } from "../support/signed_segments";
import { recordingSession, soloSession as solo } from "../support/solo_session";
import { until } from "../support/until";

const DATA = pseudoRandomBytes(70_000, 11);
const RECORD = parseIntegrityRecord(integrityDoc(makeSigner(), DATA, { seq: 5 }));
const URL5 = "http://origin/live/demo/360p/seg-5.m4s";

function member(
  net: MemoryNetwork,
  peerId: string,
  record: () => Promise<IntegrityRecord> = async () => RECORD,
  timeline: Timeline | null = null,
  body: (start: number, end: number) => AsyncGenerator<Uint8Array> = async function* (start, end) {
    yield DATA.slice(start, end);
  },
  flags: Pick<SessionDeps, "measureOnly" | "retired"> = {},
) {
  const emitter = new Emitter();
  const events: { [K in keyof ShimEventMap]?: ShimEventMap[K][] } = {};
  for (const name of ["bytes", "upload", "verification-failure", "peer-connect", "peer-close", "warning"] as const) {
    emitter.on(name, (e) => ((events[name] ??= [] as never[]) as unknown[]).push(e));
  }
  const { session, reports, fetches } = recordingSession(net, peerId, record, body, { emitter, timeline, ...flags });
  return { session, events, reports, fetches };
}

/** A member without neighbours whose origin answers Range requests with `streamRange`. */
function soloSession(streamRange: SessionDeps["origin"]["streamRange"]): SwarmSession {
  return solo(streamRange, async () => RECORD);
}

/** Segment 5 starts where playback waits (position 10): the urgent, startup case. */
const SEG5: SegmentInfo = { seq: 5, url: URL5, start: 10, duration: 2, liveEdge: false };

/**
 * Stops the sessions' clock (`performance.now`) for a test whose outcome must not depend on how
 * fast this machine runs: every scheduler deadline and timeout (startup 1 s, peer silence 1 s, a
 * copy's progress 2 s) is measured on that clock, so under load a real second could pass between
 * two in-memory frames and turn a P2P transfer into an HTTP fallback. Called before the sessions
 * exist, so all they do happens at one instant and only the frames decide. Returns the spy.
 */
function freezeClock() {
  return vi.spyOn(performance, "now").mockReturnValue(performance.now());
}

async function connectedPair(net: MemoryNetwork, timelineB: Timeline | null = null) {
  const a = member(net, "seedA000");
  const b = member(net, "viewB000", undefined, timelineB);
  a.session.setPlayhead(10, false);
  b.session.setPlayhead(10, false);
  await a.session.offerHttpSegment(SEG5, DATA); // A took it from HTTP (hls.js's own load)
  a.session.addNeighbour({ peerId: "viewB000", initiator: true, seeder: false });
  b.session.addNeighbour({ peerId: "seedA000", initiator: false, seeder: false });
  await until(() => expect(b.events["peer-connect"]).toHaveLength(1));
  await until(() => expect(b.session.scheduler.snapshot().peers).toBe(1));
  return { a, b };
}

/** A (whose origin answers with `body`) and B, linked, both waiting at position 10, nothing held. */
async function originPair(net: MemoryNetwork, body: (start: number, end: number) => AsyncGenerator<Uint8Array>, bodyB?: typeof body) {
  const a = member(net, "seedA000", undefined, null, body);
  const b = member(net, "viewB000", undefined, null, bodyB);
    a.session.setPlayhead(10, false);
    b.session.setPlayhead(10, false);
    a.session.addNeighbour({ peerId: "viewB000", initiator: true, seeder: false });
    b.session.addNeighbour({ peerId: "seedA000", initiator: false, seeder: false });
    await until(() => expect(a.session.scheduler.snapshot().peers).toBe(1));
    await until(() => expect(b.session.scheduler.snapshot().peers).toBe(1));
  return { a, b };
}

/**
 * A and B from `originPair`; A's origin sends nothing until `release()` (a congested link), so A
 * announces its origin fetch of seq 5 (HAVE_PIECES) and no piece. `performance.now` is frozen
 * at `t0` from before the sessions exist, so that word arrives at `t0` too (`now` is the spy;
 * frozen only after the links were up, a set-up slowed by load left B's startup deadline behind
 * it and B fetched the segment itself).
 */
async function hangingCopyPair(net: MemoryNetwork) {
  let release: (() => void) | null = null;
  const hanging = async function* (start: number, end: number): AsyncGenerator<Uint8Array> {
    await new Promise<void>((resolve) => (release = resolve));
    yield DATA.slice(start, end);
  };
  const now = freezeClock();
  const t0 = performance.now();
  const { a, b } = await originPair(net, hanging);
  await a.session.addSegment(SEG5); // A fetches it from the origin and says so
  await until(() => expect(release).not.toBeNull());
  await b.session.addSegment(SEG5);
  return { a, b, t0, now, release: () => (release as unknown as () => void)() };
}

describe("swarm session", () => {
  // A test that fails with the clock frozen (or faked) must not leave it so for the next one.
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("relays an origin download to a neighbour while it is still running (cut-through)", async () => {
    const clock = freezeClock(); // B must wait for A's stalled copy however long the stall lasts
    const net = new MemoryNetwork();
    let releaseRest: (() => void) | null = null;
    // A's origin sends the first two 16 KiB pieces, then stalls until released (a congested link).
    const slowBody = async function* (start: number, end: number): AsyncGenerator<Uint8Array> {
      yield DATA.slice(start, start + 32768);
      await new Promise<void>((resolve) => (releaseRest = resolve));
      yield DATA.slice(start + 32768, end);
    };
    const { a, b } = await originPair(net, slowBody);
    await a.session.addSegment(SEG5); // blocked, nobody holds it: A fetches it from the origin
    await until(() => expect(releaseRest).not.toBeNull());
    await b.session.addSegment(SEG5); // A announced its copy (HAVE_PIECES): B waits for it
    await until(() => expect(b.session.store.get(5)?.p2pBytes).toBe(32768));
    expect(a.session.store.get(5)?.complete).toBe(false); // relayed before A's download ended
    expect(b.fetches).toEqual([]);
    (releaseRest as unknown as () => void)();
    const buffer = await b.session.waitForSegment(5, new AbortController().signal);
    expect(buffer.bytes()).toEqual(DATA);
    expect(buffer.httpBytes).toBe(0);
    expect(b.fetches).toEqual([]); // the origin sent the segment once, to A
    expect(a.fetches).toHaveLength(1);
    clock.mockRestore();
    a.session.close();
    b.session.close();
  });

  it("serves a neighbour's segment over P2P, verified piece by piece", async () => {
    const clock = freezeClock();
    const net = new MemoryNetwork();
    const { a, b } = await connectedPair(net);
    // B learns of A's copy from the HAVE sent on connect, before it wants the segment.
    await until(() => expect(b.session.scheduler.neighbourHolds("seedA000", 5)).toBe(true));
    await b.session.addSegment(SEG5);
    const buffer = await b.session.waitForSegment(5, new AbortController().signal);
    expect(buffer.bytes()).toEqual(DATA);
    expect(buffer.p2pBytes).toBe(DATA.length);
    expect(buffer.httpBytes).toBe(0);
    expect(b.fetches).toEqual([]);
    expect((a.events.upload ?? []).reduce((t, e) => t + e.bytes, 0)).toBe(DATA.length);
    expect(b.events["verification-failure"]).toBeUndefined();
    clock.mockRestore();
    a.session.close();
    b.session.close();
  });

  it("applies a new upload policy in the running session: no slot, no upload; slots back, uploads back", async () => {
    const net = new MemoryNetwork();
    const { a, b } = await connectedPair(net);
    const choked = vi.spyOn(b.session.scheduler, "peerChoked");
    a.session.setUploadLimits(null, 0); // the operator's policy (or saveData) made A leech-only
    await until(() => expect(choked).toHaveBeenCalledWith(expect.any(Number), "seedA000", true)); // A's CHOKE is in
    await b.session.addSegment(SEG5);
    const buffer = await b.session.waitForSegment(5, new AbortController().signal);
    expect(buffer.p2pBytes).toBe(0); // choked by A: B took it from the origin
    expect(buffer.httpBytes).toBe(DATA.length);
    expect(a.events.upload ?? []).toEqual([]);
    a.session.setUploadLimits(16_384, 8); // a slot again, under a cap
    // Frozen until A served C a piece: a set-up slowed by load must not carry C past its
    // startup deadline to the origin before it asked A. The cap's refills need time after that.
    const clock = freezeClock();
    const c = member(net, "viewC000");
    c.session.setPlayhead(10, false);
    a.session.addNeighbour({ peerId: "viewC000", initiator: true, seeder: false });
    c.session.addNeighbour({ peerId: "seedA000", initiator: false, seeder: false });
    await until(() => expect(c.session.scheduler.snapshot().peers).toBe(1));
    await c.session.addSegment(SEG5);
    await until(() => expect((a.events.upload ?? []).length).toBeGreaterThan(0));
    clock.mockRestore();
    const fromA = await c.session.waitForSegment(5, new AbortController().signal);
    expect(fromA.p2pBytes + fromA.httpBytes).toBe(DATA.length);
    for (const m of [a, b, c]) m.session.close();
  });

  it("in shadow mode asks no neighbour for a piece, even for a segment it wants before holding it", async () => {
    const net = new MemoryNetwork();
    const a = member(net, "seedA000");
    const b = member(net, "viewB000", undefined, null, undefined, { measureOnly: () => true });
    a.session.setPlayhead(10, false);
    b.session.setPlayhead(10, false);
    await a.session.offerHttpSegment(SEG5, DATA);
    a.session.addNeighbour({ peerId: "viewB000", initiator: true, seeder: false });
    b.session.addNeighbour({ peerId: "seedA000", initiator: false, seeder: false });
    await until(() => expect(b.session.scheduler.snapshot().peers).toBe(1));
    await until(() => expect(b.session.scheduler.neighbourHolds("seedA000", 5)).toBe(true)); // A's HAVE is in
    await b.session.addSegment(SEG5); // a path that would normally pull it from A
    const buffer = await b.session.waitForSegment(5, new AbortController().signal);
    expect(buffer.p2pBytes).toBe(0);
    expect(buffer.httpBytes).toBe(DATA.length);
    expect((b.events.bytes ?? []).filter((e) => e.source === "p2p")).toEqual([]);
    expect(a.events.upload ?? []).toEqual([]);
    a.session.close();
    b.session.close();
  });

  it("retired (the player switched rendition) asks neither neighbours nor the origin, and resumes when wanted again", async () => {
    const net = new MemoryNetwork();
    const timeline = new Timeline();
    let retired = true;
    const a = member(net, "seedA000");
    const b = member(net, "viewB000", undefined, timeline, undefined, { retired: () => retired });
    a.session.setPlayhead(10, false);
    b.session.setPlayhead(10, false);
    await a.session.offerHttpSegment(SEG5, DATA);
    a.session.addNeighbour({ peerId: "viewB000", initiator: true, seeder: false });
    b.session.addNeighbour({ peerId: "seedA000", initiator: false, seeder: false });
    await until(() => expect(b.session.scheduler.neighbourHolds("seedA000", 5)).toBe(true));
    await b.session.addSegment(SEG5);
    // The scheduler wanted it from A, then (refused on the spot) from the origin: neither went out.
    const decisions = () => timeline.events().filter((e) => e.kind === "decision").map((e) => e["why"]);
    await until(() => expect(decisions()).toContain("peer-request"));
    await until(() => expect(decisions().some((why) => String(why).endsWith("takeover"))).toBe(true));
    expect(b.fetches).toEqual([]);
    expect(a.events.upload ?? []).toEqual([]);
    expect(b.session.store.get(5)?.complete).toBe(false);
    retired = false; // the player came back to this rendition
    b.session.setPlayhead(10, false); // any event lets the scheduler plan again
    const buffer = await b.session.waitForSegment(5, new AbortController().signal);
    // A, refused as "busy" while retired (not "choked": no UNCHOKE would ever lift that), is
    // asked again: the whole segment comes from it, none from the origin.
    expect(buffer.p2pBytes).toBe(DATA.length);
    expect(buffer.httpBytes).toBe(0);
    a.session.close();
    b.session.close();
  });

  it("leaving (the player announced a switch away) abandons the origin fetches it did not ask for and keeps the asked one", async () => {
    const data6 = pseudoRandomBytes(70_000, 12);
    const record6 = parseIntegrityRecord(integrityDoc(makeSigner(), data6, { seq: 6 }));
    const url6 = URL5.replace("seg-5", "seg-6");
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const started: number[] = [];
    const aborted: number[] = [];
    // The origin sends nothing until released; a fetch whose signal fires ends there.
    async function* streamRange(url: string, start: number, end: number, _size: number, signal?: AbortSignal) {
      const seq = url === url6 ? 6 : 5;
      started.push(seq);
      await Promise.race([released, new Promise((resolve) => signal?.addEventListener("abort", resolve))]);
      if (signal?.aborted) {
        aborted.push(seq);
        throw new DOMException("aborted", "AbortError");
      }
      yield (seq === 6 ? data6 : DATA).slice(start, end);
    }
    let leaving = false;
    const session = solo(streamRange, async (url) => (url === url6 ? record6 : RECORD), { leaving: () => leaving });
    session.setPlayhead(10, true);
    await session.addSegment(SEG5, true); // the player asked for 5 and waits for it
    const waited = session.waitForSegment(5, new AbortController().signal);
    await session.addSegment({ seq: 6, url: url6, start: 12, duration: 2, liveEdge: false });
    await until(() => expect([...started].sort()).toEqual([5, 6])); // alone: both from the origin
    leaving = true;
    session.playerLeaving();
    await until(() => expect(aborted).toEqual([6]));
    release();
    const buffer = await waited;
    expect(buffer.httpBytes).toBe(DATA.length);
    session.setPlayhead(10.5, true); // the scheduler plans again: 6 is still left behind
    expect(started.filter((seq) => seq === 6)).toHaveLength(1);
    expect(session.store.get(6)?.complete).toBe(false);
    session.close();
  });

  it("records in its timeline who held the segment, the peer requests and the scheduler's reasons", async () => {
    const clock = freezeClock(); // a peer request timed out under load would add an http-start
    const net = new MemoryNetwork();
    const timeline = new Timeline(100);
    const { a, b } = await connectedPair(net, timeline);
    await until(() => expect(b.session.scheduler.neighbourHolds("seedA000", 5)).toBe(true));
    await b.session.addSegment(SEG5);
    await b.session.waitForSegment(5, new AbortController().signal);
    clock.mockRestore();
    const events = timeline.events();
    const kinds = events.map((e) => e.kind);
    expect(kinds).toContain("peer-open");
    expect(events.find((e) => e.kind === "have")).toMatchObject({ peer: "seedA000", count: 1, max: 5 });
    expect(events.find((e) => e.kind === "segment-added")).toMatchObject({ seq: 5, holders: 1 });
    const requests = events.filter((e) => e.kind === "decision" && e.why === "peer-request");
    expect(requests.length).toBeGreaterThan(0);
    expect(requests[0]).toMatchObject({ seq: 5, peer: "seedA000", holders: 1, playing: false });
    const ends = events.filter((e) => e.kind === "peer-end");
    expect(ends.length).toBe(requests.length);
    expect(ends.every((e) => e.outcome === "ok" && typeof e.t0 === "number")).toBe(true);
    expect(ends.reduce((total, e) => total + (e.bytes as number), 0)).toBe(DATA.length);
    expect(kinds).not.toContain("http-start");
    a.session.close();
    b.session.close();
  });

  it("drops and reports a neighbour whose piece fails its hash, then gets the bytes from HTTP", async () => {
    const clock = freezeClock(); // B asks A and waits for its (bad) piece, not for a timeout
    const net = new MemoryNetwork();
    net.corrupt.add("seedA000");
    const { a, b } = await connectedPair(net);
    await until(() => expect(b.session.scheduler.neighbourHolds("seedA000", 5)).toBe(true));
    await b.session.addSegment(SEG5);
    const buffer = await b.session.waitForSegment(5, new AbortController().signal);
    clock.mockRestore();
    expect(buffer.bytes()).toEqual(DATA); // nothing corrupted got in
    expect(b.events["verification-failure"]?.[0]).toMatchObject({ peerId: "seedA000", seq: 5 });
    expect(b.reports).toContainEqual(["seedA000", "bad-piece", 5]);
    await until(() => expect(b.events["peer-close"]?.[0]).toMatchObject({ peerId: "seedA000" }));
    expect(b.fetches.length).toBeGreaterThan(0);
    // Only the missing pieces were asked for: Range requests inside the file, never beyond it.
    for (const [start, end] of b.fetches) {
      expect(start).toBeGreaterThanOrEqual(0);
      expect(end).toBeLessThanOrEqual(DATA.length);
    }
    expect(buffer.p2pBytes).toBe(0);
    a.session.close();
    b.session.close();
  });

  it("reports a delivery underway while its origin fetch is in flight (the loader's safety net waits)", async () => {
    let release: (() => void) | null = null;
    const session = soloSession(async function* (_url: string, start: number, end: number) {
      yield await new Promise<Uint8Array>((resolve) => (release = () => resolve(DATA.slice(start, end))));
    });
    session.setPlayhead(10, false);
    expect(session.deliveryUnderway(5, 1500)).toBe(false); // unknown segment
    await session.addSegment(SEG5); // playback waits on it, no neighbours: HTTP at once
    await until(() => expect(release).not.toBeNull());
    expect(session.deliveryUnderway(5, 1500)).toBe(true);
    (release as unknown as () => void)();
    await session.waitForSegment(5, new AbortController().signal);
    expect(session.deliveryUnderway(5, 1500)).toBe(false); // complete: nothing left to wait for
    session.close();
  });

  it("reports a delivery underway while a neighbour's origin copy is arriving, for a while (no plain-HTTP herd)", async () => {
    const { a, b, t0, now, release } = await hangingCopyPair(new MemoryNetwork());
    await until(() => expect(b.session.deliveryUnderway(5, 60_000)).toBe(true));
    expect(b.session.store.get(5)?.lastPieceAt).toBeNull(); // not one piece yet, nor an origin fetch of B's
    expect(b.fetches).toEqual([]);
    // No word from that copy for 30 s: past the window (20 s) and past B's own wait for it in the
    // scheduler (progress timeout 2 s, then its stale-copy turn, at most 1.5 timeouts with one
    // neighbour; while that lasts the net waits too, see the next test).
    now.mockReturnValue(t0 + 30_000);
    expect(b.session.deliveryUnderway(5, 20_000)).toBe(false);
    // Copies have been crawling (4 KiB/s: a 16 KiB piece every 4 s): the scheduler's progress
    // timeout is 4x its base (8 s; B's wait ends by 20 s), and the window stretches as much (80 s).
    b.session.scheduler.clock.copyRate = 4096;
    expect(b.session.scheduler.clock.progressTimeout()).toBe(8);
    expect(b.session.deliveryUnderway(5, 20_000)).toBe(true);
    now.mockRestore();
    release();
    await b.session.waitForSegment(5, new AbortController().signal);
    a.session.close();
    b.session.close();
  });

  it("reports a delivery underway while a stalled member waits its turn to take a stale copy over (the safety net has turns too)", async () => {
    const { a, b, t0, now, release } = await hangingCopyPair(new MemoryNetwork()); // B waits on seq 5 (stalled)
    await until(() => expect(b.session.deliveryUnderway(5, 20)).toBe(true));
    // The window passed, but the scheduler still waits for A's copy (progress timeout 2 s, then
    // B's stale-copy turn): a plain HTTP copy now is what every stalled member's net would start
    // at that copy's stale moment.
    now.mockReturnValue(t0 + 50);
    expect(b.session.deliveryUnderway(5, 20)).toBe(true);
    expect(b.fetches).toEqual([]);
    now.mockReturnValue(t0 + 60_000); // long past any turn: the net may go
    expect(b.session.deliveryUnderway(5, 20)).toBe(false);
    now.mockRestore();
    release();
    a.session.close();
    b.session.close();
  });

  it.each([
    ["the scheduler fetches it from the origin when it falls due", false],
    ["the player fetches it (safety net): no second origin copy; the player's copy is seeded once offered", true],
  ])("a segment ahead of the playhead: %s", async (_name, playerFetches) => {
    const ranges: number[] = [];
    const session = soloSession(async function* (_url: string, start: number, end: number) {
      ranges.push(start);
      yield DATA.slice(start, end);
    });
    const ahead: SegmentInfo = { ...SEG5, start: 100 };
    session.setPlayhead(10, false);
    expect(await session.addSegment(ahead)).not.toBeNull(); // not due yet: nothing fetched
    expect(session.deliveryUnderway(5, 1500)).toBe(false);
    if (playerFetches) {
      session.playerFetches(5);
      expect(session.store.get(5)).toBeUndefined();
      expect(await session.addSegment(ahead)).toBeNull(); // named by the playlist again: still the player's
    }
    session.setPlayhead(100, false); // playback waits on it now
    expect(session.deliveryUnderway(5, 1500)).toBe(!playerFetches); // the scheduler's origin fetch
    if (playerFetches) {
      await session.offerHttpSegment(ahead, DATA); // the player's copy
      expect(session.store.get(5)?.complete).toBe(true);
      expect(ranges).toEqual([]);
    } else {
      await session.waitForSegment(5, new AbortController().signal);
      expect(ranges).toEqual([0]);
    }
    session.close();
  });

  it("stops the origin download of a segment the playhead has left (hls.js jumped to the live edge)", async () => {
    let aborted: AbortSignal | null = null;
    // A congested origin: nothing arrives until the fetch is aborted.
    const session = soloSession(async function* (_url: string, _start: number, _end: number, _size: number, signal?: AbortSignal) {
      aborted = signal ?? null;
      await new Promise<void>((_resolve, reject) => signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
      yield new Uint8Array(0);
    });
    session.setPlayhead(10, false);
    await session.addSegment(SEG5); // playback waits on it, no neighbours: HTTP at once
    await until(() => expect(aborted).not.toBeNull());
    expect(session.deliveryUnderway(5, 1500)).toBe(true);
    session.setPlayhead(11, false); // still inside seg-5 (10-12 s): the fetch goes on
    expect((aborted as unknown as AbortSignal).aborted).toBe(false);
    session.setPlayhead(24, false); // hls.js jumped past it
    expect((aborted as unknown as AbortSignal).aborted).toBe(true);
    await until(() => expect(session.deliveryUnderway(5, 1500)).toBe(false));
    session.close();
  });

  it.each([
    ["held (startup: one member fetches, the other waits for its copy)", true, 1],
    ["not held (both reach the fallback point: both fetch at once)", false, 2],
  ])("two newcomers blocked past the fallback point on a startup segment, election %s", async (_name, liveEdge, copies) => {
    const net = new MemoryNetwork();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    // A congested origin: the first two pieces, then nothing until released.
    const slowBody = async function* (start: number, end: number): AsyncGenerator<Uint8Array> {
      yield DATA.slice(start, start + 32768);
      await released;
      yield DATA.slice(start + 32768, end);
    };
    // Simulated time: under load, real timers overshot the window below (extra copies).
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance"] });
    const { a, b } = await originPair(net, slowBody, slowBody);
    // Records on a congested origin come late: the startup deadline's fallback point has passed.
    await vi.advanceTimersByTimeAsync(700);
    const startup: SegmentInfo = { ...SEG5, liveEdge };
    await Promise.all([a.session.addSegment(startup), b.session.addSegment(startup)]);
    // Past every election turn (0.8 s tiers, 0.3 s stagger), within the 2 s a copy's progress holds.
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.fetches.length + b.fetches.length).toBe(copies);
    release();
    vi.useRealTimers();
    const signal = new AbortController().signal;
    const done = await Promise.all([a.session.waitForSegment(5, signal), b.session.waitForSegment(5, signal)]);
    for (const buffer of done) expect(buffer.bytes()).toEqual(DATA);
    a.session.close();
    b.session.close();
  });

  it("rejects waiters when the session closes", async () => {
    const net = new MemoryNetwork();
    const b = member(net, "viewB000");
    b.session.setPlayhead(0, false);
    const later: SegmentInfo = { ...SEG5, start: 60 };
    await b.session.addSegment(later);
    const waiting = b.session.waitForSegment(5, new AbortController().signal);
    b.session.close();
    await expect(waiting).rejects.toThrow("swarm closed");
  });

  it.each([
    ["an older seq", { seq: 4 }],
    ["another rendition", { seq: 5, rendition: "720p" }],
    ["another stream", { seq: 5, stream: "other" }],
    ["an init segment", { seq: 5, kind: "init" as const }],
    ["another uri", { seq: 5, uri: "seg-6.m4s" }],
  ])("refuses a validly signed record of %s for seg-5 (plain HTTP instead)", async (_name, opts) => {
    const signer = makeSigner();
    const wrong = parseIntegrityRecord(integrityDoc(signer, DATA, opts));
    const b = member(new MemoryNetwork(), "viewB000", async () => wrong);
    b.session.setPlayhead(10, false);
    expect(await b.session.addSegment(SEG5)).toBeNull();
    expect(b.session.store.get(5)).toBeUndefined();
    expect(b.events.warning?.map((w) => w.message).join()).toContain("mismatch");
    // The right record is still taken.
    const right = member(new MemoryNetwork(), "viewC000", async () => parseIntegrityRecord(integrityDoc(signer, DATA, { seq: 5 })));
    right.session.setPlayhead(10, false);
    expect(await right.session.addSegment(SEG5)).not.toBeNull();
    b.session.close();
    right.session.close();
  });
});
