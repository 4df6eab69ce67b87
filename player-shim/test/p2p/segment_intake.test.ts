/**
 * SegmentIntake: a window's records arrive in any order, but its segments enter the scheduler in
 * order, so the segment due first is the first one planned (and fetched).
 */
import { describe, expect, it } from "vitest";
import { parseIntegrityRecord, type IntegrityRecord } from "../../src/protocol/integrity";
import { Timeline } from "../../src/timeline";
import { integrityDoc, makeSigner, pseudoRandomBytes } from "../support/signed_segments";
import { soloSession } from "../support/solo_session";
import { until } from "../support/until";

const SIGNER = makeSigner();
const url = (seq: number) => `http://origin/live/demo/360p/seg-${seq}.m4s`;
const recordOf = (seq: number) => parseIntegrityRecord(integrityDoc(SIGNER, pseudoRandomBytes(40_000, seq), { seq }));

/** Records answered only when the test says so. */
function heldRecords() {
  const answers = new Map<string, (r: IntegrityRecord) => void>();
  const record = (u: string) => new Promise<IntegrityRecord>((resolve) => answers.set(u, resolve));
  const answer = (seq: number) => (answers.get(url(seq)) as (r: IntegrityRecord) => void)(recordOf(seq));
  return { record, answer, asked: () => answers.size };
}

describe("SegmentIntake: order", () => {
  it("adds a window's segments in order when their records arrive in reverse, and fetches the first one due first", async () => {
    const timeline = new Timeline(200);
    const held = heldRecords();
    const ranges: string[] = [];
    const session = soloSession(
      async function* (u) {
        ranges.push(u);
        yield* []; // never answers: only the order of the requests matters here
      },
      held.record,
      { timeline },
    );
    session.setPlayhead(10, true);
    const added = [5, 6, 7].map((seq) => session.addSegment({ seq, url: url(seq), start: 10 + 2 * (seq - 5), duration: 2, liveEdge: false }));
    await until(() => held.asked() === 3);
    held.answer(7);
    held.answer(6);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const entered = () => timeline.events().filter((e) => e.kind === "segment-added").map((e) => e.seq);
    expect(entered()).toEqual([]); // 6 and 7 wait for 5
    held.answer(5);
    await Promise.all(added);
    expect(entered()).toEqual([5, 6, 7]);
    expect(ranges[0]).toBe(url(5));
    session.close();
  });

  it("does not hold later segments for an earlier record that cannot be had", async () => {
    const timeline = new Timeline(200);
    let fail: (e: Error) => void = () => undefined;
    const record = (u: string) =>
      u === url(5) ? new Promise<IntegrityRecord>((_, reject) => (fail = reject)) : Promise.resolve(recordOf(Number(/seg-(\d+)/.exec(u)?.[1])));
    const session = soloSession(async function* () {}, record, { timeline });
    session.setPlayhead(10, true);
    const added = [5, 6].map((seq) => session.addSegment({ seq, url: url(seq), start: 10 + 2 * (seq - 5), duration: 2, liveEdge: false }));
    fail(new Error("404"));
    expect(await added[0]).toBeNull();
    expect(await added[1]).not.toBeNull();
    expect(timeline.events().filter((e) => e.kind === "segment-added").map((e) => e.seq)).toEqual([6]);
    session.close();
  });
});
