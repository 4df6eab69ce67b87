// Bundles the shim (hls.js, socket.io-client and the fallback Ed25519 included) into
// dist/swarmcast.js (IIFE, global `swarmcast`) and dist/swarmcast.mjs (ESM), the DASH adapters
// (Shaka Player, dash.js; neither bundled, no hls.js) into dist/swarmcast-dash.js (global
// `swarmcastDash`) and dist/swarmcast-dash.mjs, and copies them into the Python package
// (swarmcast/player/) for the origin to serve.
import { copyFileSync, mkdirSync } from "node:fs";
import { build } from "esbuild";

const common = {
  bundle: true,
  target: ["chrome100", "firefox100", "safari15"],
  sourcemap: true,
  minify: process.env.SWARMCAST_MINIFY !== "0", // SWARMCAST_MINIFY=0 for readable stack traces
  logLevel: "warning",
  legalComments: "linked",
};

const hls = { ...common, entryPoints: ["src/index.ts"] };
const dash = { ...common, entryPoints: ["src/dash/index.ts"] };
await Promise.all([
  build({ ...hls, format: "iife", globalName: "swarmcast", outfile: "dist/swarmcast.js" }),
  build({ ...hls, format: "esm", outfile: "dist/swarmcast.mjs" }),
  build({ ...dash, format: "iife", globalName: "swarmcastDash", outfile: "dist/swarmcast-dash.js" }),
  build({ ...dash, format: "esm", outfile: "dist/swarmcast-dash.mjs" }),
]);

// The Python package serves the bundle from swarmcast/player/ (package data, so a wheel carries it).
const packaged = new URL("../swarmcast/player/", import.meta.url);
mkdirSync(packaged, { recursive: true });
for (const base of ["swarmcast", "swarmcast-dash"]) {
  for (const name of [`${base}.js`, `${base}.js.map`, `${base}.mjs`, `${base}.mjs.map`]) {
    copyFileSync(new URL(`dist/${name}`, import.meta.url), new URL(name, packaged));
  }
}
