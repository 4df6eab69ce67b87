/** The origin's small player APIs (docs/protocol.md §1, §3): `/api/config` and viewer tokens. */

import type { SwarmcastOptions } from "../config";

/** How the engine fetches (options.fetch, the page's hook, or the global fetch). */
export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

export interface ApiConfig {
  iceServers: RTCIceServer[];
  signaling: { url: string; path: string; namespace: string };
  /** Where viewer tokens come from ("" = nowhere public: the page must pass `getToken`). */
  tokenUrl: string;
}

/** ICE servers, where signaling is and where tokens come from ("" apiBase: this page's origin). */
export async function fetchApiConfig(apiBase: string, fetchFn: FetchFn): Promise<ApiConfig> {
  const response = await fetchFn(`${apiBase}/api/config`, { cache: "no-store" });
  if (!response.ok) throw new Error(`/api/config: HTTP ${response.status}`);
  const body = (await response.json()) as Partial<{ iceServers: RTCIceServer[]; signaling: Partial<ApiConfig["signaling"]>; tokenUrl: unknown }>;
  return {
    iceServers: Array.isArray(body.iceServers) ? body.iceServers : [],
    signaling: {
      url: body.signaling?.url || apiBase || globalThis.location.origin,
      path: body.signaling?.path || "/socket.io/",
      namespace: body.signaling?.namespace || "/swarm",
    },
    // Older origins do not say: their `/api/token`.
    tokenUrl: typeof body.tokenUrl === "string" ? body.tokenUrl : "/api/token",
  };
}

/** A viewer token: from the page (`getToken`), the origin's `/api/token`, or the operator's
 * token URL (`/api/config` `tokenUrl`, fetched with the page's cookies). */
export async function fetchToken(options: Pick<SwarmcastOptions, "getToken" | "apiBase">, stream: string, api: ApiConfig, fetchFn: FetchFn): Promise<string> {
  if (options.getToken) return options.getToken(stream);
  if (!api.tokenUrl) throw new Error("no viewer token source: pass getToken (docs/protocol.md §3)");
  const own = api.tokenUrl === "/api/token";
  const base = own ? `${options.apiBase}/api/token` : api.tokenUrl;
  const url = `${base}${base.includes("?") ? "&" : "?"}stream=${encodeURIComponent(stream)}`;
  const response = await fetchFn(url, { cache: "no-store", credentials: own ? "same-origin" : "include" });
  if (!response.ok) throw new Error(`viewer token: HTTP ${response.status}`);
  const body = (await response.json()) as { token?: unknown };
  if (typeof body.token !== "string") throw new Error("viewer token: none in the response");
  return body.token;
}
