/** The player-neutral swarm: URL → (swarm, seq), live-edge listing, the swarm/HTTP hand-off. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { MediaSwarm } from "../../src/dash/media_swarm";
import { segmentSeq } from "../../src/dash/segment_url";
import type { FragmentRef } from "../../src/p2p/p2p_engine";
import { SegmentBuffer } from "../../src/p2p/segment_store";
import { parseIntegrityRecord, pieceRange } from "../../src/protocol/integrity";
import { integrityDoc, makeSigner, pseudoRandomBytes } from "../support/signed_segments";

const SEGMENT = pseudoRandomBytes(40_000, 5);
const RECORD = parseIntegrityRecord(integrityDoc(makeSigner(), SEGMENT, { seq: 42 }));
const URL_42 = "http://o/live/demo/360p/seg-42.m4s";

/** A complete buffer whose pieces arrived between t=1000 and t=1300 (first at 1050). */
function completeBuffer(): SegmentBuffer {
  const buffer = new SegmentBuffer(RECORD, 84, 2);
  buffer.noteRequested(1000);
  for (let i = 0; i < RECORD.pieces.length; i++) {
    const [s, e] = pieceRange(RECORD, i);
    buffer.setPiece(i, SEGMENT.subarray(s, e), i === 0 ? "http" : "p2p", i === 0 ? 1050 : 1300);
  }
  return buffer;
}

function newSwarm(): MediaSwarm {
  const swarm = new MediaSwarm({ deadlineGraceMs: 1000 });
  vi.spyOn(swarm.engine, "levelUpdated").mockImplementation(() => undefined);
  return swarm;
}

afterEach(() => vi.useRealTimers());

describe("segmentSeq", () => {
  it("reads seg-<seq>.m4s (protocol §1) and nothing else", () => {
    expect(segmentSeq(URL_42)).toBe(42);
    expect(segmentSeq("http://o/live/demo/360p/seg-7.m4s?x=1#y")).toBe(7);
    expect(segmentSeq("http://o/live/demo/360p/init-0.mp4")).toBeNull();
    expect(segmentSeq("http://o/live/demo/manifest.mpd")).toBeNull();
    expect(segmentSeq("http://o/live/demo/360p/seg-.m4s")).toBeNull();
    expect(segmentSeq("http://o/live/demo/360p/seg-1.m4s.integrity.json")).toBeNull();
  });
});

describe("MediaSwarm", () => {
  it("fills the operator's beacons and its stats with this player's counters, as hls.js does", () => {
    const swarm = newSwarm();
    swarm.emitter.emit("bytes", { source: "p2p", bytes: 5000, peerId: "p1", swarm: "demo/360p", seq: 1 });
    swarm.emitter.emit("bytes", { source: "http", bytes: 700, peerId: null, swarm: "demo/360p", seq: 2 });
    const counters = swarm.engine.beaconSource?.();
    expect(counters?.p2p_bytes).toBe(5000);
    expect(counters?.http_bytes).toBe(700);
    const stats = swarm.stats();
    expect(stats.p2pMode).toBe(swarm.engine.status().mode);
    expect(stats.connAttempts).toBe(0);
    swarm.destroy();
  });

  it("maps a DASH segment URL to the same (swarm, seq) hls.js uses", () => {
    const swarm = newSwarm();
    expect(swarm.ref({ url: URL_42, start: 84, duration: 2 })).toEqual({ sn: 42, url: URL_42, start: 84, duration: 2, level: 0 });
    expect(swarm.ref({ url: "http://o/live/demo/360p/init-0.mp4", start: 0, duration: 0 })).toBeNull();
    swarm.destroy();
  });

  it("lists the backlog first, then flags only segments that appear later as live edge", () => {
    const swarm = newSwarm();
    const seg = (n: number) => ({ url: `http://o/live/demo/360p/seg-${n}.m4s`, start: 2 * n, duration: 2 });
    const spy = swarm.engine.levelUpdated as unknown as ReturnType<typeof vi.fn>;
    swarm.listed([seg(1), seg(2), seg(3)]);
    expect([...(spy.mock.calls[0]?.[1] as Set<number>)]).toEqual([]);
    swarm.listed([seg(2), seg(3), seg(4), seg(5)]);
    expect([...(spy.mock.calls[1]?.[1] as Set<number>)]).toEqual([4, 5]);
    expect((spy.mock.calls[1]?.[0] as FragmentRef[]).map((r) => r.sn)).toEqual([2, 3, 4, 5]);
    // The player may say itself which segment just became available.
    swarm.listed([seg(9)], new Set([9]));
    expect([...(spy.mock.calls[2]?.[1] as Set<number>)]).toEqual([9]);
    swarm.destroy();
  });

  it("delivers a verified segment (a copy) with its real transfer timing", async () => {
    const swarm = newSwarm();
    const buffer = completeBuffer();
    vi.spyOn(swarm.engine, "load").mockResolvedValue(buffer);
    const segments: unknown[] = [];
    swarm.on("segment", (e) => segments.push(e));
    const delivery = await swarm.trySwarm({ url: URL_42, start: 84, duration: 2 }, new AbortController().signal);
    expect(delivery).not.toBeNull();
    expect(new Uint8Array(delivery?.data as ArrayBuffer)).toEqual(SEGMENT);
    expect(delivery?.data).not.toBe(buffer.bytes().buffer);
    expect(delivery?.transferMs).toBe(300);
    expect(delivery?.ttfbMs).toBe(50);
    expect(segments).toEqual([{ swarm: "demo/360p", seq: 42, bytes: SEGMENT.length, httpBytes: 16384, p2pBytes: SEGMENT.length - 16384, ms: 300 }]);
    swarm.destroy();
  });

  it("hands over to the player's HTTP when P2P is off, the URL is foreign, or the deadline passed", async () => {
    vi.useFakeTimers();
    const swarm = newSwarm();
    const load = vi.spyOn(swarm.engine, "load").mockReturnValue(new Promise(() => undefined));
    vi.spyOn(swarm.engine, "secondsUntil").mockReturnValue(2);
    const warnings: string[] = [];
    swarm.on("warning", (e) => warnings.push(e.message));
    expect(await swarm.trySwarm({ url: "http://o/x/init-0.mp4", start: 0, duration: 2 }, new AbortController().signal)).toBeNull();
    const late = swarm.trySwarm({ url: URL_42, start: 84, duration: 2 }, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(2999);
    expect(load).toHaveBeenCalledOnce();
    let settled = false;
    void late.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await late).toBeNull(); // deadline (2 s) + grace (1 s)
    expect((load.mock.calls[0]?.[2] as AbortSignal).aborted).toBe(true);
    expect(warnings[0]).toContain("missed the deadline");
    swarm.setP2P(false);
    expect(await swarm.trySwarm({ url: URL_42, start: 84, duration: 2 }, new AbortController().signal)).toBeNull();
    expect(load).toHaveBeenCalledOnce();
    swarm.destroy();
  });

  it("rejects when the player aborts, and aborts the engine's load", async () => {
    const swarm = newSwarm();
    const load = vi.spyOn(swarm.engine, "load").mockReturnValue(new Promise(() => undefined));
    const controller = new AbortController();
    const pending = swarm.trySwarm({ url: URL_42, start: 84, duration: 2 }, controller.signal);
    controller.abort();
    await expect(pending).rejects.toThrow("aborted");
    expect((load.mock.calls[0]?.[2] as AbortSignal).aborted).toBe(true);
    swarm.destroy();
  });

  it("counts the player's own HTTP loads and offers swarm segments to the engine", () => {
    const swarm = newSwarm();
    const offer = vi.spyOn(swarm.engine, "offerHttp").mockImplementation(() => undefined);
    swarm.httpLoaded({ url: URL_42, start: 84, duration: 2 }, SEGMENT.slice().buffer, 120);
    swarm.httpLoaded({ url: "http://o/live/demo/360p/init-0.mp4", start: 0, duration: 0 }, new ArrayBuffer(700), 5);
    const stats = swarm.stats();
    expect(stats.httpBytes).toBe(SEGMENT.length);
    expect(stats.httpOverheadBytes).toBe(700);
    expect(stats.segmentsHttp).toBe(1);
    expect(offer).toHaveBeenCalledOnce();
    expect(offer.mock.calls[0]?.[0]).toMatchObject({ sn: 42, start: 84 });
    swarm.destroy();
  });
});
