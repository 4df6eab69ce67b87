/** A small typed event emitter: the shim's events for pages, the overlay and the lab. */

export type ByteSource = "http" | "p2p";
export type SignalingState = "idle" | "connected" | "refused" | "unreachable" | "disconnected";

export interface ShimEventMap {
  /** A data channel to a neighbour opened (HELLO exchanged). */
  "peer-connect": { peerId: string; swarm: string };
  /** A neighbour went away; `reason` says why (closed, goodbye, dropped: bad-piece, …). */
  "peer-close": { peerId: string; swarm: string; reason: string };
  /** Verified media bytes handed to hls.js (or stored for it), by where they came from. */
  bytes: { source: ByteSource; bytes: number; peerId: string | null; swarm: string; seq: number };
  /** Origin bytes that are not media: integrity records, signing keys, init segments. */
  overhead: { bytes: number; what: string };
  /** Bytes we sent to a neighbour. */
  upload: { peerId: string; bytes: number; swarm: string };
  /** A piece or file that failed its signed hash; the sender is dropped and reported. */
  "verification-failure": { peerId: string | null; swarm: string; seq: number; reason: string };
  /** A whole segment delivered to hls.js. */
  segment: { swarm: string; seq: number; bytes: number; httpBytes: number; p2pBytes: number; ms: number };
  /** Playback stopped for lack of data after the first frame; `end` once it resumed. */
  stall: { phase: "start" | "end"; at: number; durationMs: number };
  /** The first video frame played. */
  "first-frame": { ms: number };
  /** P2P was turned on or off (by the page, or because the engine cannot run here). */
  p2p: { enabled: boolean; reason: string };
  /**
   * Signaling's state as this viewer sees it; `message` says in plain words why P2P is not
   * working (refused page origin, bad token, unreachable server, ...), null when it is.
   */
  signaling: { state: SignalingState; code: string | null; message: string | null };
  /** Shadow mode: origin bytes a connected neighbour already held (would have come from it). */
  "shadow-saved": { bytes: number; seq: number };
  /** Something went wrong that the shim recovered from (signaling, a peer, a fetch). */
  warning: { message: string };
}

export type ShimEventName = keyof ShimEventMap;
export type Listener<K extends ShimEventName> = (event: ShimEventMap[K]) => void;

export class Emitter {
  private readonly listeners = new Map<ShimEventName, Set<(event: never) => void>>();

  on<K extends ShimEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as (event: never) => void);
    return () => this.off(name, listener);
  }

  off<K extends ShimEventName>(name: K, listener: Listener<K>): void {
    this.listeners.get(name)?.delete(listener as (event: never) => void);
  }

  emit<K extends ShimEventName>(name: K, event: ShimEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<K>)(event);
      } catch (e) {
        // A page's listener must not break the engine that called it.
        console.error("swarmcast listener failed", e);
      }
    }
  }

  removeAll(): void {
    this.listeners.clear();
  }
}
