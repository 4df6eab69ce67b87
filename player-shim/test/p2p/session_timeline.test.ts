/** SessionTimeline: what a session writes into the timeline for neighbours' announcements. */
import { describe, expect, it } from "vitest";
import { havePiecesFrom } from "../../src/protocol/wire";
import { SessionTimeline } from "../../src/p2p/session_timeline";
import type { PieceScheduler } from "../../src/scheduler/piece_scheduler";
import type { SegmentStore } from "../../src/p2p/segment_store";
import { Timeline } from "../../src/timeline";

function sessionTimeline() {
  const timeline = new Timeline(100);
  const unused = (): never => {
    throw new Error("not used for announcements");
  };
  const st = new SessionTimeline(timeline, "demo/360p", unused as () => PieceScheduler, {} as SegmentStore, () => 0);
  const said = () => timeline.events().filter((e) => e.kind === "have-pieces");
  return { st, said };
}

describe("SessionTimeline: HAVE_PIECES", () => {
  it("records a neighbour's first word of a segment with its origin rate, then only rates that moved by more than a quarter", () => {
    const { st, said } = sessionTimeline();
    st.message("seedA000", havePiecesFrom(7, [0], 200_000));
    st.message("seedA000", havePiecesFrom(7, [0, 1], 240_000)); // +20 %: not again
    st.message("seedA000", havePiecesFrom(7, [0, 1, 2], 60_000)); // a holder's fetch slowed
    st.message("seedA000", havePiecesFrom(8, [], 0)); // a new segment: its first word, rate not said
    st.message("seedB000", havePiecesFrom(7, [0], 200_000)); // another neighbour's first word
    expect(said().map((e) => [e.peer, e.seq, e.originRate])).toEqual([
      ["seedA000", 7, 200_000],
      ["seedA000", 7, 60_000],
      ["seedA000", 8, 0],
      ["seedB000", 7, 200_000],
    ]);
  });
});
