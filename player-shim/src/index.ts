/**
 * swarmcast browser shim: peer-assisted hls.js. One line for a page that uses hls.js:
 *
 *   const hls = new swarmcast.Hls(swarmcast.hlsConfig({ p2p: true }));   // or
 *   swarmcast.attachSwarm(existingHls, { p2p: true });
 *
 * Each hls.js instance carries its own engine handle: `hls.swarm.stats()`, `hls.swarm.on(...)`
 * (or `swarmcast.swarmOf(hls)`), so several players on one page are told apart.
 * `swarmcast.stats()` and `swarmcast.on(event, fn)` are shortcuts to the most recently created
 * swarm, for pages with one player.
 */

import Hls, { type HlsConfig } from "hls.js";
import { DEFAULT_OPTIONS, type SwarmcastOptions } from "./config";
import type { Listener, ShimEventName } from "./events";
import { mountOverlay } from "./overlay";
import type { ShimStats } from "./stats";
import { abrControllerBinding, Swarm } from "./swarm";

export { Hls, Swarm, DEFAULT_OPTIONS, mountOverlay };
export type { SwarmcastOptions, ShimStats };

let current: Swarm | null = null;

/** An hls.js config (merged over `hls`) whose fragments go through a new swarm. */
export function hlsConfig(options: Partial<SwarmcastOptions> & { hls?: Partial<HlsConfig> } = {}): Partial<HlsConfig> {
  const { hls: hlsOverrides, ...swarmOptions } = options;
  const swarm = new Swarm(swarmOptions);
  current = swarm;
  const base = hlsOverrides?.abrController ?? Hls.DefaultConfig.abrController;
  return {
    ...hlsOverrides,
    fLoader: swarm.fLoader as HlsConfig["fLoader"],
    abrController: abrControllerBinding(swarm, base),
  };
}

/** Attaches a new swarm to an existing hls.js instance. */
export function attachSwarm(hls: Hls, options: Partial<SwarmcastOptions> = {}): Swarm {
  const swarm = new Swarm(options);
  swarm.bind(hls);
  current = swarm;
  return swarm;
}

/** The swarm bound to this hls.js instance (also `hls.swarm`), or null. */
export function swarmOf(hls: Hls): Swarm | null {
  return (hls as Hls & { swarm?: Swarm }).swarm ?? null;
}

/** The swarm of the most recent `hlsConfig()`/`attachSwarm()` call. */
export function currentSwarm(): Swarm | null {
  return current;
}

export function stats(): ShimStats | null {
  return current?.stats() ?? null;
}

/** The current swarm's timeline (options `timeline: true`), else null. */
export function timeline(): ReturnType<Swarm["timeline"]> {
  return current?.timeline() ?? null;
}

export function on<K extends ShimEventName>(name: K, listener: Listener<K>): () => void {
  if (!current) throw new Error("swarmcast: no swarm yet (call hlsConfig or attachSwarm first)");
  return current.on(name, listener);
}

/** Turns P2P on or off at runtime for the current swarm. */
export function setP2P(enabled: boolean): void {
  current?.setP2P(enabled);
}
