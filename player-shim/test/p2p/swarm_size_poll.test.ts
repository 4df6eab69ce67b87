/** The swarm's member count from signaling: polled, parsed, and what the election then sees. */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SwarmSession } from "../../src/p2p/swarm_session";
import { parseSwarmSize, SwarmSizePoll } from "../../src/p2p/swarm_size_poll";
import { soloSession } from "../support/solo_session";

function session(): SwarmSession {
  return soloSession(async function* () {}, async () => {
    throw new Error("no records here");
  });
}

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("swarm size from signaling", () => {
  it("accepts only a positive integer count", () => {
    expect(parseSwarmSize({ swarm: "demo/360p", peers: 40 })).toBe(40);
    for (const bad of [{ peers: 0 }, { peers: -3 }, { peers: 2.5 }, { peers: "40" }, null, "x", []]) {
      expect(parseSwarmSize(bad)).toBeNull();
    }
  });

  it("asks at once and then every interval, until stopped; errors and bad answers change nothing", async () => {
    vi.useFakeTimers();
    const urls: string[] = [];
    const answers: (() => Response)[] = [
      () => jsonResponse({ swarm: "demo/360p", peers: 12 }),
      () => {
        throw new TypeError("network down");
      },
      () => jsonResponse({ error: "x" }, 503),
      () => jsonResponse({ swarm: "demo/360p", peers: 80 }),
    ];
    const sizes: number[] = [];
    const poll = new SwarmSizePoll({
      signalingUrl: "https://sig.example/",
      swarm: "demo/360p",
      intervalMs: 10_000,
      fetchFn: async (url) => {
        urls.push(url);
        return (answers.shift() as () => Response)();
      },
      onSize: (n) => sizes.push(n),
    });
    poll.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(urls).toEqual(["https://sig.example/api/swarm-size?swarm=demo/360p"]);
    expect(sizes).toEqual([12]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(urls).toHaveLength(4);
    expect(sizes).toEqual([12, 80]);
    poll.stop();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(urls).toHaveLength(4);
  });

  it("sizes the session's live election with the larger of signaling's count and neighbours + 1; closing stops the poll", () => {
    const s = session();
    s.addNeighbour({ peerId: "peerA000", initiator: true, seeder: false });
    expect(s.scheduler.swarmSize).toBe(2);
    s.setSignalingSwarmSize(64);
    expect(s.scheduler.swarmSize).toBe(64);
    s.setSignalingSwarmSize(1); // a stale count below what we see: neighbours + 1 stands
    expect(s.scheduler.swarmSize).toBe(2);
    const poll = { stop: vi.fn() };
    s.attachSwarmSizePoll(poll);
    s.close();
    expect(poll.stop).toHaveBeenCalled();
  });
});
