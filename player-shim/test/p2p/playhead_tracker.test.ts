import { describe, expect, it } from "vitest";
import { PlayheadTracker, type PlayheadSink } from "../../src/p2p/playhead_tracker";

/** A <video> stand-in: the fields PlayheadTracker reads, and its events. */
function fakeMedia(currentTime: number) {
  return Object.assign(new EventTarget(), {
    paused: false,
    seeking: false,
    readyState: 4,
    currentTime,
    playbackRate: 1,
    buffered: { length: 1, start: () => currentTime, end: () => currentTime + 2 },
  });
}

/** A tracker (startup deadline 3 s) attached to a fake <video> at `currentTime`, and what it pushed. */
function attachedTracker(currentTime: number) {
  const pushed: [number, boolean][] = [];
  const sink: PlayheadSink = { setPlayhead: (position, playing) => pushed.push([position, playing]) };
  const tracker = new PlayheadTracker(() => sink, 3);
  const media = fakeMedia(currentTime);
  tracker.attach(media as unknown as HTMLMediaElement);
  return { tracker, media, pushed };
}

describe("PlayheadTracker", () => {
  it("tells the scheduler playback runs at the first frame's playing event", () => {
    const { tracker, media, pushed } = attachedTracker(14.1);
    tracker.fragmentWanted(14, 2);
    expect(pushed).toEqual([[14, false]]);
    expect(tracker.secondsUntil(16)).toBe(3); // startup deadline before the first frame
    media.dispatchEvent(new Event("playing"));
    expect(pushed.at(-1)).toEqual([14.1, true]);
    expect(tracker.secondsUntil(16)).toBeCloseTo(1.9);
    tracker.detach();
  });

  it("reports a pause and a stall as not playing", () => {
    const { tracker, media, pushed } = attachedTracker(20);
    media.dispatchEvent(new Event("playing"));
    media.readyState = 2; // waiting for data
    media.dispatchEvent(new Event("waiting"));
    expect(pushed.at(-1)).toEqual([20, false]);
    media.readyState = 4;
    media.paused = true;
    media.dispatchEvent(new Event("pause"));
    expect(pushed.at(-1)).toEqual([20, false]);
    tracker.detach();
  });

  it("moves the startup anchor back to an earlier fragment and keeps it through contiguous ones", () => {
    const { tracker, pushed } = attachedTracker(0);
    tracker.fragmentWanted(16, 2);
    tracker.fragmentWanted(14, 2); // hls.js went one back
    tracker.fragmentWanted(16, 2);
    tracker.fragmentWanted(14, 2.02); // the same time on another rendition
    tracker.fragmentWanted(18, 2); // the next after the furthest asked for
    expect(pushed).toEqual([[16, false], [14, false]]);
    expect(tracker.position()).toBe(14);
    tracker.detach();
  });

  it("follows the player past an abandoned first fragment", () => {
    // Realistic lab -043602 p2p-b07: hls.js aborted the fragment at 14 four times, then asked for
    // the one at 30 (out of the live window); playback could no longer start at 14.
    const { tracker, media, pushed } = attachedTracker(0);
    for (let attempt = 0; attempt < 4; attempt++) tracker.fragmentWanted(14, 2);
    tracker.fragmentWanted(30, 2);
    expect(pushed).toEqual([[14, false], [30, false]]);
    expect(tracker.position()).toBe(30);
    tracker.fragmentWanted(32, 2);
    expect(tracker.position()).toBe(30);
    media.currentTime = 30.4;
    media.dispatchEvent(new Event("playing"));
    tracker.fragmentWanted(60, 2); // once playing, requests no longer move the playhead
    expect(pushed.at(-1)).toEqual([30.4, true]);
    tracker.detach();
  });

  it("tells who waits for the first frame when it plays, and at once after it", async () => {
    const { tracker, media } = attachedTracker(14);
    let woke = false;
    const waiting = tracker.whenStarted().then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    media.dispatchEvent(new Event("playing"));
    await waiting;
    expect(woke).toBe(true);
    await tracker.whenStarted(); // resolved at once now
    tracker.detach();
  });
});
