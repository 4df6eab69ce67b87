/**
 * swarmcast for DASH players (`dist/swarmcast-dash.js`, global `swarmcastDash`): Shaka Player and
 * dash.js join the same swarms as hls.js viewers. Neither player is bundled; pass your own:
 *
 *   const swarm = swarmcastDash.attachShaka(shakaPlayer, shaka, { p2p: true });
 *   const swarm = swarmcastDash.attachDashjs(dashjsPlayer, { p2p: true }); // before initialize()
 *
 * `swarm.stats()`, `swarm.on(event, fn)`, `swarm.setP2P(on)` work as on the hls.js `Swarm`.
 */

import { DEFAULT_OPTIONS, type SwarmcastOptions } from "../config";
import { mountOverlay } from "../overlay";
import { attachShaka } from "../shaka/shaka_adapter";
import type { ShimStats } from "../stats";
import { attachDashjs } from "./dashjs_adapter";
import { MediaSwarm } from "./media_swarm";

export { attachDashjs, attachShaka, DEFAULT_OPTIONS, MediaSwarm, mountOverlay };
export type { ShimStats, SwarmcastOptions };
