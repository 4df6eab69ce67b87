/**
 * A small overlay for a player: P2P share, peers, uploaded bytes, buffer and live latency, read
 * from a swarm's stats twice a second. Plain DOM, inline styles, no dependencies.
 */

import type { ShimStats } from "./stats";

export interface StatsSource {
  stats(): ShimStats;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const ROWS: [string, string, (s: ShimStats) => string][] = [
  ["p2p", "P2P", (s) => s.p2pMode],
  ["reason", "why", (s) => s.p2pReason ?? "–"],
  ["share", "from peers", (s) => `${(s.p2pShare * 100).toFixed(0)} %`],
  ["peers", "peers", (s) => String(s.peers)],
  ["http", "from origin", (s) => formatBytes(s.httpBytes)],
  ["uploaded", "uploaded", (s) => formatBytes(s.uploadedBytes)],
  ["buffer", "buffer", (s) => `${s.bufferAheadS.toFixed(1)} s`],
  ["latency", "latency", (s) => (s.latencyS === null ? "–" : `${s.latencyS.toFixed(1)} s`)],
  ["stalls", "stalls", (s) => String(s.stalls)],
  ["rejected", "bad pieces", (s) => String(s.verificationFailures)],
];

/** Mounts the overlay over `container` (positioned); returns a function that removes it. */
export function mountOverlay(container: HTMLElement, source: StatsSource, intervalMs = 500): () => void {
  const panel = document.createElement("dl");
  panel.className = "swarmcast-overlay";
  panel.setAttribute("aria-label", "swarmcast P2P statistics");
  Object.assign(panel.style, {
    position: "absolute",
    top: "8px",
    right: "8px",
    margin: "0",
    padding: "6px 10px",
    display: "grid",
    gridTemplateColumns: "auto auto",
    gap: "1px 10px",
    font: "12px/1.4 system-ui, sans-serif",
    color: "#fff",
    background: "rgba(0, 0, 0, 0.6)",
    borderRadius: "6px",
    pointerEvents: "none",
    zIndex: "10",
  });
  const values = new Map<string, HTMLElement>();
  for (const [key, label] of ROWS) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.style.margin = "0";
    dd.style.textAlign = "right";
    dd.dataset.stat = key;
    values.set(key, dd);
    panel.append(dt, dd);
  }
  if (getComputedStyle(container).position === "static") container.style.position = "relative";
  container.append(panel);
  const update = (): void => {
    const s = source.stats();
    for (const [key, , format] of ROWS) (values.get(key) as HTMLElement).textContent = format(s);
    (values.get("reason") as HTMLElement).title = s.p2pReasonText;
  };
  update();
  const timer = setInterval(update, intervalMs);
  return () => {
    clearInterval(timer);
    panel.remove();
  };
}
