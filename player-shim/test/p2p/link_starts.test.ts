/** Neighbour links start one per task (link_starts.ts), and the session counts queued ones as connecting. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { LinkStarts } from "../../src/p2p/link_starts";
import type { LinkFactory } from "../../src/p2p/peer_link";
import type { Neighbour } from "../../src/p2p/signaling_client";
import { MemoryNetwork } from "../support/memory_links";
import { soloSession } from "../support/solo_session";

const neighbour = (peerId: string, initiator = true): Neighbour => ({ peerId, initiator, seeder: false });

afterEach(() => {
  vi.useRealTimers();
});

describe("link starts", () => {
  it("starts the first neighbour at once and each further one in its own task, in order", async () => {
    vi.useFakeTimers();
    const started: string[] = [];
    const starts = new LinkStarts((n) => started.push(n.peerId));
    for (const id of ["a", "b", "c"]) starts.push(neighbour(id));
    starts.push(neighbour("b")); // already queued: once only
    expect(started).toEqual(["a"]);
    expect(starts.size).toBe(2);
    await vi.advanceTimersToNextTimerAsync();
    expect(started).toEqual(["a", "b"]);
    await vi.advanceTimersToNextTimerAsync();
    expect(started).toEqual(["a", "b", "c"]);
    await vi.advanceTimersToNextTimerAsync();
    starts.push(neighbour("d")); // the queue ran dry a task ago: at once again
    expect(started).toEqual(["a", "b", "c", "d"]);
  });

  it("drops a neighbour taken out of the queue, and everything on clear", async () => {
    vi.useFakeTimers();
    const started: string[] = [];
    const starts = new LinkStarts((n) => started.push(n.peerId));
    for (const id of ["a", "b", "c", "d"]) starts.push(neighbour(id));
    expect(starts.take("b")?.peerId).toBe("b");
    expect(starts.take("b")).toBeUndefined();
    await vi.advanceTimersToNextTimerAsync();
    expect(started).toEqual(["a", "c"]);
    starts.clear();
    await vi.runAllTimersAsync();
    expect(started).toEqual(["a", "c"]);
    expect(starts.size).toBe(0);
  });

  it("a session builds one link per task and counts the queued neighbours as connecting", async () => {
    vi.useFakeTimers();
    const built: string[] = [];
    const base = new MemoryNetwork().factoryFor("viewC000");
    const createLink: LinkFactory = (options) => {
      built.push(options.peerId);
      return base(options);
    };
    const s = soloSession(
      async function* () {},
      async () => {
        throw new Error("no records here");
      },
      { createLink },
    );
    for (const id of ["peerA000", "peerB000", "peerD000"]) s.addNeighbour(neighbour(id));
    expect(built).toEqual(["peerA000"]);
    expect(s.neighbourCount).toBe(3);
    expect(s.scheduler.swarmSize).toBe(4);
    // An offer from a queued neighbour builds its link at once (it answers), out of turn.
    s.handleSignal("peerD000", "offer", { type: "offer", sdp: "v=0" });
    expect(built).toEqual(["peerA000", "peerD000"]);
    s.removeNeighbour("peerB000", "removed by signaling"); // still queued: never built
    expect(s.neighbourCount).toBe(2);
    await vi.runAllTimersAsync();
    expect(built).toEqual(["peerA000", "peerD000"]);
    s.close();
  });
});
