// Builds the shim (docs: player-shim/README.md, "Packages and builds"):
//   dist/swarmcast.js       IIFE, global `swarmcast`, hls.js included (the script-tag bundle)
//   dist/swarmcast.mjs      the same as an ES module
//   dist/swarmcast.core.js  IIFE without hls.js: uses the page's own global `Hls`
//   dist/index.mjs          ES module without hls.js (`import ... from "hls.js"`: a peer dependency)
//   dist/swarmcast-dash.js  the DASH adapters (Shaka Player, dash.js; neither bundled, no hls.js),
//                           global `swarmcastDash`, and dist/swarmcast-dash.mjs
// socket.io-client and the fallback Ed25519 are bundled in all. The script bundles are copied
// into the Python package (swarmcast/player/) with gzip and brotli copies, and a manifest.json
// giving each its content-hashed name (the origin serves that name immutable).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

const common = {
  bundle: true,
  target: ["chrome100", "firefox100", "safari15"],
  sourcemap: true,
  minify: process.env.SWARMCAST_MINIFY !== "0", // SWARMCAST_MINIFY=0 for readable stack traces
  logLevel: "warning",
  legalComments: "linked",
};

/** `import Hls from "hls.js"` becomes the page's global `Hls` (loaded before this script). */
const globalHls = {
  name: "global-hls",
  setup(b) {
    b.onResolve({ filter: /^hls\.js$/ }, () => ({ path: "hls.js", namespace: "global-hls" }));
    b.onLoad({ filter: /.*/, namespace: "global-hls" }, () => ({
      contents: 'if (!globalThis.Hls) throw new Error("swarmcast.core.js needs hls.js loaded first (global Hls)");\nmodule.exports = globalThis.Hls;',
      loader: "js",
    }));
  },
};

const hls = { ...common, entryPoints: ["src/index.ts"] };
const dash = { ...common, entryPoints: ["src/dash/index.ts"] };
await Promise.all([
  build({ ...hls, format: "iife", globalName: "swarmcast", outfile: "dist/swarmcast.js" }),
  build({ ...hls, format: "esm", outfile: "dist/swarmcast.mjs" }),
  build({ ...hls, format: "iife", globalName: "swarmcast", outfile: "dist/swarmcast.core.js", plugins: [globalHls] }),
  build({ ...hls, format: "esm", outfile: "dist/index.mjs", external: ["hls.js"] }),
  build({ ...dash, format: "iife", globalName: "swarmcastDash", outfile: "dist/swarmcast-dash.js" }),
  build({ ...dash, format: "esm", outfile: "dist/swarmcast-dash.mjs" }),
]);

// The Python package serves these from swarmcast/player/ (package data, so a wheel carries them).
const packaged = new URL("../swarmcast/player/", import.meta.url);
rmSync(packaged, { recursive: true, force: true });
mkdirSync(packaged, { recursive: true });
const manifest = {};
for (const name of ["swarmcast.js", "swarmcast.core.js", "swarmcast-dash.js"]) {
  const body = readFileSync(new URL(`dist/${name}`, import.meta.url));
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  manifest[name] = name.replace(/\.js$/, `.${hash}.js`);
  writeFileSync(new URL(name, packaged), body);
  writeFileSync(new URL(`${name}.gz`, packaged), gzipSync(body, { level: 9 }));
  writeFileSync(new URL(`${name}.br`, packaged), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(new URL(`${name}.map`, packaged), readFileSync(new URL(`dist/${name}.map`, import.meta.url)));
}
for (const name of ["swarmcast.mjs", "swarmcast-dash.mjs"]) {
  writeFileSync(new URL(name, packaged), readFileSync(new URL(`dist/${name}`, import.meta.url)));
}
writeFileSync(new URL("manifest.json", packaged), JSON.stringify(manifest, null, 2) + "\n");
// uPlot for the operator dashboard (/admin, signaling/admin_routes.py): served from there too.
for (const name of ["uPlot.iife.min.js", "uPlot.min.css"]) {
  writeFileSync(new URL(name, packaged), readFileSync(new URL(`node_modules/uplot/dist/${name}`, import.meta.url)));
}
