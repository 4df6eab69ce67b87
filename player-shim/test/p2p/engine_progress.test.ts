/**
 * The engine's `fragmentProgress` (P2PEngine on test/support/engine_harness.ts): what the loader
 * copies into hls.js's stats while a P2P load is pending (hls_loader.ts `reportProgress`).
 */
import { afterEach, describe, expect, it } from "vitest";
import { engineHarness, fragment } from "../support/engine_harness";
import { until } from "../support/until";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const close of cleanups.splice(0)) close();
});

/** An engine joined to the 360p swarm of segments 10-13 with no neighbours. */
async function joinedAlone() {
  const h = engineHarness([10, 11, 12, 13]);
  cleanups.push(() => h.engine.destroy());
  h.engine.levelUpdated([10, 11, 12, 13].map(fragment), new Set([10, 11, 12, 13]));
  const join = await h.signaling.nextJoin();
  join.answer({ neighbours: [] });
  await until(() => expect(h.events("join")).toHaveLength(1));
  return h;
}

describe("engine: a fragment's progress", () => {
  it("is the verified bytes the session holds, its size, its first piece and its origin fetch in flight; null for what it does not hold", async () => {
    const h = engineHarness([10, 11, 12, 13]);
    cleanups.push(() => h.engine.destroy());
    const frag = fragment(13);
    expect(h.engine.fragmentProgress(frag)).toBeNull(); // not joined
    const held = h.fetch.hold(frag.url);
    h.engine.levelUpdated([10, 11, 12, 13].map(fragment), new Set([10, 11, 12, 13]));
    const join = await h.signaling.nextJoin();
    join.answer({ neighbours: [] });
    await until(() => expect(h.events("join")).toHaveLength(1));
    // Playing (the first frame is shown): the engine's loads go to the swarm, not to plain HTTP.
    const media = Object.assign(new EventTarget(), { paused: false, seeking: false, readyState: 4, currentTime: 24, playbackRate: 1, buffered: { length: 0 } });
    h.engine.attachMedia(media as unknown as HTMLMediaElement);
    media.dispatchEvent(new Event("playing"));
    const loading = h.engine.load(frag, true, new AbortController().signal);
    // Playing, no neighbours: the engine fetches it from the origin at once (held by the test).
    await until(() => expect(h.engine.fragmentProgress(frag)?.originSince).toBeTypeOf("number"));
    expect(h.engine.fragmentProgress(frag)).toMatchObject({ loaded: 0, total: 40_000, firstByteAt: null });
    held.release();
    const buffer = await loading;
    expect(buffer).not.toBeNull();
    const done = h.engine.fragmentProgress(frag);
    expect(done).toMatchObject({ loaded: 40_000, total: 40_000, originSince: null }); // the fetch is over
    expect(done?.firstByteAt).toBe(buffer?.firstByteAt);
    expect(done?.firstByteAt).not.toBeNull();
    // Another rendition's fragment of the same number is not this session's.
    expect(h.engine.fragmentProgress({ ...frag, url: frag.url.replace("/360p/", "/240p/") })).toBeNull();
  });
});

describe("engine: the download meter seeds the session's HTTP rate", () => {
  it("after the join too, until the session measures a fetch of its own", async () => {
    const h = await joinedAlone();
    expect(h.engine.schedulerSnapshot?.httpRateEstimate).toBe(2_000_000); // the config's guess: nothing measured at the join
    h.engine.httpTransferred(125_000, 1000); // the player's own fragment: a 1 Mbit/s downlink
    expect(h.engine.schedulerSnapshot?.httpRateEstimate).toBe(125_000);
    h.engine.httpTransferred(16_000, 1); // below the meter's sample size: no change
    expect(h.engine.schedulerSnapshot?.httpRateEstimate).toBe(125_000);
  });
});

describe("engine: a rendition switch retires the old swarm session", () => {
  it("from the new rendition's first fragment request until the new swarm is joined, not at its first playlist", async () => {
    const h = await joinedAlone();
    const lower = (sn: number) => ({ ...fragment(sn), url: fragment(sn).url.replace("/360p/", "/240p/") });
    // The new rendition's playlist: a 360p fragment may still be coming through the old session.
    h.engine.levelUpdated([10, 11, 12, 13].map(lower), new Set());
    const next = await h.signaling.nextJoin(); // the switch's join, held by the test
    expect(next.payload).toMatchObject({ rendition: "240p" });
    expect(h.events("rendition-wanted")).toEqual([]);
    // The player asks for a 240p fragment: the 360p session asks nobody for anything new.
    void h.engine.load(lower(13), false, new AbortController().signal).catch(() => undefined);
    expect(h.events("rendition-wanted")).toEqual([expect.objectContaining({ rendition: "240p", retired: "360p" })]);
  });

  it("from the player's switch (LEVEL_SWITCHING) the old session is leaving, until the player asks for its rendition again", async () => {
    const h = await joinedAlone();
    const playlist = (rendition: string) => `http://origin/live/demo/${rendition}/index.m3u8`;
    h.engine.playerSwitching(playlist("360p")); // the session's own rendition: nothing to leave
    expect(h.events("rendition-leaving")).toEqual([]);
    h.engine.playerSwitching(playlist("240p"));
    h.engine.playerSwitching(playlist("240p")); // hls.js announces a switch once; a repeat changes nothing
    expect(h.events("rendition-leaving")).toEqual([expect.objectContaining({ rendition: "240p", leaving: "360p" })]);
    // The player came back and asked for a 360p fragment: a later switch away leaves again.
    void h.engine.load(fragment(13), false, new AbortController().signal).catch(() => undefined);
    h.engine.playerSwitching(playlist("144p"));
    expect(h.events("rendition-leaving")).toHaveLength(2);
    expect(h.events("rendition-wanted")).toEqual([]); // no fragment of another rendition was asked for
  });
});
