// Bundles the shim (hls.js, socket.io-client and the fallback Ed25519 included) into
// dist/swarmcast.js (IIFE, global `swarmcast`) and dist/swarmcast.mjs (ESM), and copies them into
// the Python package (swarmcast/player/) for the origin to serve.
import { copyFileSync, mkdirSync } from "node:fs";
import { build } from "esbuild";

const common = {
  entryPoints: ["src/index.ts"],
  bundle: true,
  target: ["chrome100", "firefox100", "safari15"],
  sourcemap: true,
  minify: process.env.SWARMCAST_MINIFY !== "0", // SWARMCAST_MINIFY=0 for readable stack traces
  logLevel: "warning",
  legalComments: "linked",
};

await Promise.all([
  build({ ...common, format: "iife", globalName: "swarmcast", outfile: "dist/swarmcast.js" }),
  build({ ...common, format: "esm", outfile: "dist/swarmcast.mjs" }),
]);

// The Python package serves the bundle from swarmcast/player/ (package data, so a wheel carries it).
const packaged = new URL("../swarmcast/player/", import.meta.url);
mkdirSync(packaged, { recursive: true });
for (const name of ["swarmcast.js", "swarmcast.js.map", "swarmcast.mjs", "swarmcast.mjs.map"]) {
  copyFileSync(new URL(`dist/${name}`, import.meta.url), new URL(name, packaged));
}
