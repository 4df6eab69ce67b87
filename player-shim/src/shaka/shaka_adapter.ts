/**
 * Shaka Player over the swarm. A request filter (per player) notes which requests are media
 * segments and where they sit on the timeline (Shaka's own SegmentReference); a scheme plugin
 * for http(s) (Shaka's registry is global) answers those from the swarm and hands everything
 * else, and every swarm miss, to Shaka's own HttpFetchPlugin. It only translates.
 */

import type { SwarmcastOptions } from "../config";
import { MediaSwarm, type MediaSegment, type SwarmDelivery } from "../dash/media_swarm";
import type { ShakaNamespace, ShakaOperation, ShakaPlayer, ShakaRequest, ShakaRequestContext, ShakaResponse, ShakaSchemePlugin } from "./shaka_types";

interface Claim {
  swarm: MediaSwarm;
  segment: MediaSegment;
}

/** Requests our filters claimed for a swarm (Shaka passes the filter's request object on). */
const claims = new WeakMap<ShakaRequest, Claim>();
/** Shaka namespaces whose http(s) schemes carry our plugin (registered once per page). */
const registered = new WeakSet<object>();

/**
 * Puts a Shaka player's media segments through a new swarm. `shaka` is the page's own Shaka
 * namespace (`window.shaka` or the module import): the shim does not bundle Shaka.
 */
export function attachShaka(player: ShakaPlayer, shaka: ShakaNamespace, options: Partial<SwarmcastOptions> = {}): MediaSwarm {
  const swarm = new MediaSwarm(options);
  registerScheme(shaka);
  const { RequestType, AdvancedRequestType } = shaka.net.NetworkingEngine;
  const filter = (type: number, request: ShakaRequest, context?: ShakaRequestContext): void => {
    const reference = context?.segment;
    const uri = request.uris[0];
    if (type !== RequestType.SEGMENT || context?.type !== AdvancedRequestType.MEDIA_SEGMENT || !reference || !uri) return;
    if (request.headers["Range"]) return; // a byte range of a file is not what a record signs
    const segment = { url: uri, start: reference.startTime, duration: reference.endTime - reference.startTime };
    claims.set(request, { swarm, segment });
    swarm.listed(listing(context, segment));
  };
  const networking = player.getNetworkingEngine();
  networking?.registerRequestFilter(filter);
  const media = player.getMediaElement();
  const latency = (): number | null => {
    const at = player.getPlayheadTimeAsDate();
    // Capture clock of the frame on screen (availabilityStartTime + media time) vs. now.
    return at ? (Date.now() - at.getTime()) / 1000 : null;
  };
  if (media) swarm.attachMedia(media, latency);
  const onLoaded = (): void => {
    const element = player.getMediaElement();
    if (element) swarm.attachMedia(element, latency);
  };
  player.addEventListener("loaded", onLoaded);
  swarm.onDestroy(() => {
    networking?.unregisterRequestFilter(filter);
    player.removeEventListener("loaded", onLoaded);
  });
  return swarm;
}

/** The rendition's segment list as Shaka holds it (its SegmentIndex), for prefetch and live edge. */
function listing(context: ShakaRequestContext, current: MediaSegment): MediaSegment[] {
  const index = context.stream?.segmentIndex;
  if (!index) return [current];
  const out: MediaSegment[] = [];
  for (const ref of index) {
    const uri = ref?.getUris()[0];
    if (ref && uri) out.push({ url: uri, start: ref.startTime, duration: ref.endTime - ref.startTime });
  }
  return out.length > 0 ? out : [current];
}

function registerScheme(shaka: ShakaNamespace): void {
  if (registered.has(shaka)) return;
  registered.add(shaka);
  const fallback = shaka.net.HttpFetchPlugin.parse;
  const plugin: ShakaSchemePlugin = (uri, request, requestType, progressUpdated, headersReceived, config) => {
    const claim = claims.get(request);
    if (!claim || uri !== claim.segment.url) return fallback(uri, request, requestType, progressUpdated, headersReceived, config);
    const controller = new AbortController();
    let http: ShakaOperation<ShakaResponse> | null = null;
    const aborted = (): Error =>
      new shaka.util.Error(shaka.util.Error.Severity.RECOVERABLE, shaka.util.Error.Category.NETWORK, shaka.util.Error.Code.OPERATION_ABORTED, uri, requestType);
    const promise = (async (): Promise<ShakaResponse> => {
      let delivery: SwarmDelivery | null;
      try {
        delivery = await claim.swarm.trySwarm(claim.segment, controller.signal);
      } catch {
        throw aborted();
      }
      if (delivery) return response(uri, request, delivery);
      if (controller.signal.aborted) throw aborted();
      const startedAt = performance.now();
      http = fallback(uri, request, requestType, progressUpdated, headersReceived, config);
      const result = await http.promise;
      const data = result.data instanceof ArrayBuffer ? result.data : copyView(result.data);
      claim.swarm.httpLoaded(claim.segment, data, performance.now() - startedAt);
      return result;
    })();
    return new shaka.util.AbortableOperation(promise, async () => {
      controller.abort();
      if (http) await http.abort();
    });
  };
  const priority = shaka.net.NetworkingEngine.PluginPriority.APPLICATION;
  shaka.net.NetworkingEngine.registerScheme("http", plugin, priority, true);
  shaka.net.NetworkingEngine.registerScheme("https", plugin, priority, true);
}

function response(uri: string, request: ShakaRequest, delivery: SwarmDelivery): ShakaResponse {
  return {
    uri,
    originalUri: uri,
    data: delivery.data,
    headers: {},
    status: 200,
    originalRequest: request,
    // Shaka's bandwidth estimate divides bytes by timeMs when a plugin sets it: the real
    // transfer of the pieces (peers and/or Range requests), not the wait for an announcement
    // nor the zero-time hand-over of bytes prefetched before Shaka asked.
    timeMs: delivery.transferMs,
  };
}

function copyView(view: ArrayBufferView): ArrayBuffer {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice().buffer;
}
