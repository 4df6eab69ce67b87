/** The optional timeline: a bounded ring of events, transfers as start/end pairs, and the
 * scheduler's decision hook (which must never change what the scheduler does). */
import { describe, expect, it } from "vitest";
import { PieceScheduler } from "../src/scheduler/piece_scheduler";
import { schedulerConfig } from "../src/scheduler/scheduler_config";
import { Timeline } from "../src/timeline";

function clock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe("timeline", () => {
  it("keeps the last `capacity` events, oldest first, and counts the overwritten ones", () => {
    const c = clock();
    const timeline = new Timeline(3, c.now);
    for (let seq = 0; seq < 5; seq++) {
      timeline.record("announced", seq);
      c.advance(10);
    }
    expect(timeline.events().map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(timeline.events().map((e) => e.t)).toEqual([1020, 1030, 1040]);
    expect(timeline.dump()).toMatchObject({ capacity: 3, recorded: 5 });
  });

  it("returns what was recorded before the ring filled, without holes", () => {
    const timeline = new Timeline(5);
    timeline.record("a", null, { x: 1 });
    timeline.record("b", 7);
    expect(timeline.events()).toMatchObject([{ kind: "a", x: 1 }, { kind: "b", seq: 7 }]);
    expect(timeline.events()[0]).not.toHaveProperty("seq");
  });

  it("a detail cannot overwrite the event's own time or kind", () => {
    const timeline = new Timeline(2, () => 5);
    timeline.record("real", null, { t: 99, kind: "fake" });
    expect(timeline.events()[0]).toMatchObject({ t: 5, kind: "real" });
  });

  it("writes a transfer's end with its start time, bytes and outcome", () => {
    const c = clock();
    const timeline = new Timeline(10, c.now);
    timeline.begin("http:1", "http", 4, { wanted: 300 });
    c.advance(250);
    expect(timeline.progress("http:1", 100)).toBe(true);
    expect(timeline.progress("http:2", 100)).toBe(false);
    timeline.progress("http:1", 200);
    timeline.end("http:1", "ok");
    timeline.end("http:1", "ok"); // a second end is ignored
    expect(timeline.events()).toEqual([
      { t: 1000, kind: "http-start", seq: 4, id: "http:1", wanted: 300 },
      { t: 1250, kind: "http-end", seq: 4, id: "http:1", wanted: 300, t0: 1000, bytes: 300, outcome: "ok" },
    ]);
  });

  it("lists open transfers by id prefix and forgets the oldest beyond its bound", () => {
    const timeline = new Timeline(5000);
    timeline.begin("req:p1:1", "peer", 1);
    timeline.begin("req:p2:2", "peer", 1);
    expect(timeline.openIds("req:p1:")).toEqual(["req:p1:1"]);
    for (let i = 0; i < 1000; i++) timeline.begin(`x:${i}`, "peer", 2);
    expect(timeline.openIds("req:")).toEqual([]); // the two oldest were dropped
    expect(timeline.openIds("x:")).toHaveLength(1000);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new Timeline(0)).toThrow(/capacity/);
    expect(() => new Timeline(2.5)).toThrow(/capacity/);
  });
});

describe("scheduler decision hook", () => {
  function run(hook: ((...a: [number, number, string, Record<string, unknown>]) => void) | null) {
    const s = new PieceScheduler(schedulerConfig(), "me", 0, false, hook);
    s.setSwarmSize(0, 4);
    s.setPlayhead(0, 0, true);
    s.segmentAdded(0, 3, { size: 40_000, pieceSize: 16_384, start: 6, duration: 2, liveEdge: true });
    const at = s.nextTimer() ?? 0;
    s.handleTimer(at);
    return s.popActions();
  }

  it("says why a live segment nobody holds is fetched from HTTP, and changes no action", () => {
    const decisions: [number, string, Record<string, unknown>][] = [];
    const withHook = run((_now, seq, kind, detail) => decisions.push([seq, kind, detail]));
    expect(withHook).toEqual(run(null));
    expect(decisions[0]?.[1]).toBe("election-wait");
    const fetch = decisions.find(([, kind]) => kind === "election-turn" || kind === "fallback-takeover");
    expect(fetch).toBeDefined();
    expect(fetch?.[0]).toBe(3);
    expect(fetch?.[2]).toMatchObject({ firstPiece: 0, pieceCount: 3 });
    expect(withHook.some((a) => a.action === "http_fetch" && a.seq === 3)).toBe(true);
  });
});
