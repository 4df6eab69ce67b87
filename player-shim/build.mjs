// Bundles the shim (hls.js, socket.io-client and the fallback Ed25519 included) into
// dist/swarmcast.js (IIFE, global `swarmcast`) and dist/swarmcast.mjs (ESM) for the origin to serve.
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
