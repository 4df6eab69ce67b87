/**
 * dash.js over the swarm. dash.js 5 loads every request through its XHRLoader (FetchLoader only
 * for low-latency chunked segments, which this origin does not publish); `player.extend(
 * "XHRLoader", …, true)` overrides that loader's `load` for this player only. Media segments go
 * to the swarm; everything else, and every swarm miss, to dash.js's own XHRLoader. It only
 * translates a swarm delivery into the response and callbacks the XHRLoader would have produced.
 */

import { resolveOptions, type SwarmcastOptions } from "../config";
import { MediaSwarm, type MediaSegment } from "./media_swarm";

/** dash.js's CommonMediaRequest, as far as a loader sees it. */
interface DashRequest {
  url: string;
  headers?: Record<string, string>;
  customData: {
    request?: {
      type?: string | null;
      startTime?: number;
      duration?: number;
      availabilityStartTime?: Date | number | null;
    };
    onloadend?: () => void;
    onprogress?: (event: { loaded: number; total: number; lengthComputable: boolean; time?: number }) => void;
    onabort?: () => void;
    abort?: () => void;
  };
}

interface DashResponse {
  url?: string;
  status?: number;
  statusText?: string;
  headers?: Record<string, string>;
  data?: unknown;
  resourceTiming?: { startTime: number };
}

interface DashLoader {
  load(request: DashRequest, response: DashResponse): boolean;
  abort(): void;
}

/** dash.js's live delay settings (`streaming.delay`), as far as the adapter reads them. */
interface DashDelaySettings {
  streaming?: { delay?: { liveDelay?: number | null; liveDelayFragmentCount?: number | null } };
}

/** The parts of a dash.js 5 MediaPlayer the adapter uses. */
export interface DashjsPlayer {
  extend(name: string, factory: (this: { parent: DashLoader }) => Partial<DashLoader>, override: boolean): void;
  getVideoElement(): HTMLVideoElement;
  getCurrentLiveLatency(): number;
  getSettings(): DashDelaySettings;
  updateSettings(settings: DashDelaySettings): void;
}

/**
 * Puts a dash.js player's media segments through a new swarm. Call it after
 * `dashjs.MediaPlayer().create()` and before `initialize()`/`attachSource()`: dash.js builds its
 * loaders then. The shim does not bundle dash.js; the page brings its own.
 */
export function attachDashjs(player: DashjsPlayer, options: Partial<SwarmcastOptions> = {}): MediaSwarm {
  const swarm = new MediaSwarm(options);
  alignLiveDelay(player, resolveOptions(options).dashLiveDelaySegments);
  const latency = (): number | null => {
    const value = player.getCurrentLiveLatency();
    return Number.isFinite(value) ? value : null;
  };
  player.extend(
    "XHRLoader",
    function (this: { parent: DashLoader }) {
      const parent = this.parent;
      const parentLoad = parent.load.bind(parent);
      const parentAbort = parent.abort.bind(parent);
      let current: AbortController | null = null;
      return {
        load(request: DashRequest, response: DashResponse): boolean {
          const info = request.customData.request;
          if (info?.type !== "MediaSegment" || request.headers?.["Range"] || info.startTime === undefined || info.duration === undefined) {
            return parentLoad(request, response);
          }
          attachVideo(player, swarm, latency);
          const segment: MediaSegment = { url: request.url, start: info.startTime, duration: info.duration };
          const seq = swarm.ref(segment)?.sn;
          swarm.listed([segment], seq !== undefined && justAvailable(info.availabilityStartTime, info.duration) ? new Set([seq]) : new Set());
          const controller = new AbortController();
          current = controller;
          const callbacks = request.customData;
          callbacks.abort = () => {
            controller.abort();
            callbacks.onabort?.();
          };
          swarm.trySwarm(segment, controller.signal).then(
            (delivery) => {
              if (controller.signal.aborted) return;
              if (!delivery) return loadHttp(parentLoad, swarm, segment, request, response);
              const bytes = delivery.data.byteLength;
              response.url = request.url;
              response.status = 200;
              response.statusText = "OK";
              response.headers = {};
              response.data = delivery.data;
              // dash.js measures throughput from the request's start to onloadend and from its
              // progress traces: the trace carries the real transfer time of the pieces, and the
              // start is backdated by it (the wait for a neighbour, or bytes prefetched before
              // dash.js asked, are not network time).
              if (response.resourceTiming) response.resourceTiming.startTime = performance.now() - delivery.transferMs;
              callbacks.onprogress?.({ loaded: bytes, total: bytes, lengthComputable: true, time: delivery.transferMs });
              callbacks.onloadend?.();
            },
            () => undefined, // aborted: dash.js was told through onabort
          );
          return true;
        },
        abort(): void {
          current?.abort();
          current = null;
          parentAbort();
        },
      };
    },
    true,
  );
  return swarm;
}

/** dash.js's own XHR for a segment the swarm could not deliver; its bytes are counted and shared. */
function loadHttp(parentLoad: DashLoader["load"], swarm: MediaSwarm, segment: MediaSegment, request: DashRequest, response: DashResponse): void {
  const callbacks = request.customData;
  const onloadend = callbacks.onloadend;
  const startedAt = performance.now();
  callbacks.onloadend = () => {
    const status = response.status ?? 0;
    if (status >= 200 && status < 300 && response.data instanceof ArrayBuffer) {
      swarm.httpLoaded(segment, response.data, performance.now() - startedAt);
    }
    onloadend?.();
  };
  parentLoad(request, response);
}

/**
 * dash.js counts its live delay from the capture clock, hls.js and Shaka from the end of the
 * newest listed segment: gives dash.js the delay where hls.js plays, unless the page chose one.
 */
function alignLiveDelay(player: DashjsPlayer, segments: number | null): void {
  if (segments === null) return;
  const delay = player.getSettings().streaming?.delay;
  const chosen = (value: number | null | undefined): boolean => typeof value === "number" && !Number.isNaN(value);
  if (chosen(delay?.liveDelay) || chosen(delay?.liveDelayFragmentCount)) return;
  player.updateSettings({ streaming: { delay: { liveDelayFragmentCount: segments } } });
}

function attachVideo(player: DashjsPlayer, swarm: MediaSwarm, latency: () => number | null): void {
  try {
    swarm.attachMedia(player.getVideoElement(), latency);
  } catch {
    // No view attached yet: the next segment tries again.
  }
}

/**
 * The segment became available within its own duration: it is at the live edge, where the
 * swarm elects who fetches it from the origin first. dash.js computes availability on the
 * MPD's clock (UTCTiming); the page's clock is assumed close to it.
 */
function justAvailable(availableAt: Date | number | null | undefined, durationS: number): boolean {
  if (availableAt === null || availableAt === undefined) return false;
  const at = availableAt instanceof Date ? availableAt.getTime() : availableAt;
  return Number.isFinite(at) && Date.now() - at < durationS * 1000;
}
