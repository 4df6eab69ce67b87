/**
 * A newcomer's startup through the whole engine (P2PEngine on test/support/engine_harness.ts):
 * the records fetched beside the join, and a slow startup fragment over HTTP taken by the swarm.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_OPTIONS } from "../../src/config";
import type { SlowStartupAnswer } from "../../src/p2p/startup_join";
import { integrityUrl } from "../../src/p2p/origin_client";
import { ENGINE_PEER, engineHarness, fragment, ORIGIN, type JoinAnswer } from "../support/engine_harness";
import { recordingSession } from "../support/solo_session";
import { until } from "../support/until";

const SNS = [10, 11, 12, 13, 14, 15];
const KEY_URL = `${ORIGIN}/signing-key.json`;

/** What a test started and must close (engines, neighbour sessions), closed after it. */
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const close of cleanups.splice(0)) close();
  vi.useRealTimers();
});

function harness(...args: Parameters<typeof engineHarness>) {
  const h = engineHarness(...args);
  cleanups.push(() => h.engine.destroy());
  return h;
}

describe("engine: startup records beside the join", () => {
  it("asks for the live playlist's last three records while the signing key is still on its way", async () => {
    const h = harness(SNS);
    const key = h.fetch.hold(KEY_URL);
    const playlist = SNS.map(fragment);
    h.engine.levelUpdated(playlist, new Set(SNS)); // a newcomer's first playlist: it joins
    await h.fetch.requested(KEY_URL);
    // Signaling connects after the records' requests went out (swarm_membership.ts join).
    await h.signaling.firstBeacon.promise;
    const records = h.fetch.urls().filter((u) => u.endsWith(".integrity.json"));
    expect(records).toEqual(playlist.slice(-3).map((frag) => integrityUrl(frag.url)));
    expect(h.signaling.socket.calls.map((c) => c.event)).toEqual(["beacon"]); // no join before the key
    key.release();
    const join = await h.signaling.nextJoin();
    join.answer({ neighbours: [] });
    await until(() => expect(h.events("join")).toHaveLength(1));
    expect(h.fetch.urls().filter((u) => u.endsWith(".integrity.json"))).toEqual(records); // each once
  });
});

/**
 * A newcomer whose join the hedge stopped waiting for: fragment 13 (the first of the playlist's
 * last three) is wanted while signaling holds the join ack, the loader starts it over plain HTTP
 * (`hedgesStartup`) and `takesOverStartup` gives up after startupJoinWaitMs. Then a neighbour
 * holding segment 13 is named in the ack with `answer`'s crowd figures. Resolves once the
 * neighbour's HAVE is in, with `ask` doing what the loader does every SLOW_STARTUP_POLL_MS while
 * the HTTP copy is slow (1.5 s into a 2 s fragment) and what it answered before the join was done.
 */
async function lateJoin(h: ReturnType<typeof harness>, answer: Omit<JoinAnswer, "neighbours">) {
  const frag = fragment(13);
  expect(h.engine.hedgesStartup(frag)).toBe(true);
  const takes = h.engine.takesOverStartup(frag, new AbortController().signal);
  const join = await h.signaling.nextJoin();
  vi.advanceTimersByTime(DEFAULT_OPTIONS.startupJoinWaitMs);
  expect(await takes).toBe(false); // the hedge stopped waiting: the HTTP copy goes on
  const ask = (): SlowStartupAnswer => h.engine.slowStartupFragment(frag, 1500);
  const beforeJoin = ask();

  const noOrigin = async function* (): AsyncGenerator<Uint8Array> {}; // the seed has it already
  const seed = recordingSession(h.net, "seedA000", async () => h.records.get(13)!, noOrigin);
  cleanups.push(() => seed.session.close());
  await seed.session.offerHttpSegment({ seq: 13, url: frag.url, start: frag.start, duration: frag.duration, liveEdge: false }, h.segments.get(13)!);
  seed.session.addNeighbour({ peerId: ENGINE_PEER, initiator: true, seeder: false });
  join.answer({ neighbours: ["seedA000"], ...answer });
  await until(() => expect(h.events("have")).toContainEqual(expect.objectContaining({ peer: "seedA000", max: 13 })));
  return { ask, beforeJoin };
}

describe("engine: a slow startup fragment over HTTP", () => {
  const fakeTime = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance"] });

  it("is taken by the swarm when the join chose the swarm after the hedge stopped waiting", async () => {
    fakeTime();
    const h = harness(SNS);
    const { ask, beforeJoin } = await lateJoin(h, { arrivals: { swarmSize: 5, recentJoins: 4 } });
    expect(beforeJoin).toBe("wait"); // not joined yet
    expect(h.events("join")).toEqual([expect.objectContaining({ startup: "swarm", startupWhy: "crowd" })]);
    expect(ask()).toBe("take");
    expect(h.events("startup-switch")).toEqual([]); // startup was the swarm's already
  });

  it("is taken when the join chose plain HTTP (origin fast), and startup switches to the swarm once", async () => {
    fakeTime();
    const h = harness(SNS);
    const { ask, beforeJoin } = await lateJoin(h, { arrivals: { swarmSize: 10, recentJoins: 0 } });
    expect(beforeJoin).toBe("wait");
    expect(h.events("join")).toEqual([expect.objectContaining({ startup: "http", startupWhy: "origin-fast" })]);
    expect(ask()).toBe("take");
    expect(ask()).toBe("take");
    expect(h.events("startup-switch")).toEqual([expect.objectContaining({ seq: 13, startup: "swarm", startupWhy: "media-slow", inFlight: true })]);
  });

  it("is not taken when the join's control made this viewer CDN-only (shadow), though a neighbour holds it", async () => {
    fakeTime();
    const h = harness(SNS);
    h.signaling.control = { ...h.signaling.control, shadow: true }; // the first beacon's ack says so
    const { ask } = await lateJoin(h, { arrivals: { swarmSize: 5, recentJoins: 4 } });
    expect(h.engine.status().mode).toBe("shadow");
    expect(h.events("join")).toEqual([expect.objectContaining({ startup: "swarm", startupWhy: "crowd" })]);
    expect(ask()).toBe("never");
  });
});

describe("engine: a fragment wanted before the first frame while the join is still running", () => {
  it("stops waiting for the join when the first frame plays meanwhile, and goes over plain HTTP", async () => {
    // Realistic lab (bench/results/realistic-README.md series 28): hls.js asked for the next
    // fragment 2 s before the first frame; the join came 1.6 s after it and the page stalled 16.9 s.
    const h = harness(SNS);
    const media = Object.assign(new EventTarget(), { paused: false, seeking: false, readyState: 4, currentTime: 26, playbackRate: 1, buffered: { length: 0 } });
    h.engine.attachMedia(media as unknown as HTMLMediaElement);
    h.engine.levelUpdated(SNS.map(fragment), new Set(SNS));
    const join = await h.signaling.nextJoin(); // held: signaling is slow
    const askedAt = performance.now();
    const loading = h.engine.load(fragment(14), true, new AbortController().signal);
    media.dispatchEvent(new Event("playing"));
    expect(await loading).toBeNull(); // the loader uses plain HTTP
    expect(performance.now() - askedAt).toBeLessThan(DEFAULT_OPTIONS.startupJoinWaitMs / 2);
    expect(h.events("join-wait-end")).toEqual([expect.objectContaining({ seq: 14, reason: "first-frame" })]);
    join.answer({ neighbours: [] });
  });
});

describe("engine: the player's own plain-HTTP loads", () => {
  it("tells the session of its rendition about a load that began before the join, and about its end", async () => {
    const h = harness(SNS);
    const frag = fragment(13);
    h.engine.playerLoad(frag, true); // the loader's plain-HTTP copy, before any session
    h.engine.levelUpdated(SNS.map(fragment), new Set(SNS));
    const join = await h.signaling.nextJoin();
    join.answer({ neighbours: [] });
    await until(() => expect(h.events("join")).toHaveLength(1));
    expect(h.engine.schedulerSnapshot?.playerLoads).toBe(1); // replayed into the new session
    h.engine.playerLoad(frag, false);
    expect(h.engine.schedulerSnapshot?.playerLoads).toBe(0);
    h.engine.playerLoad(frag, false); // a second end is a no-op
    h.engine.playerLoad(fragment(14), true);
    expect(h.engine.schedulerSnapshot?.playerLoads).toBe(1); // told at once once joined
  });
});
