// `npm run build`, after `next build`: compiles Keel's own server (scripts/next.ts, scripts/serve.ts
// and what they import: the /api/v1 router, the job process, the local executor) and the document
// worker to JavaScript in .next/keel-server/, so `npm start` runs no TypeScript loader (issue 20.5).
// Packages stay external (node_modules is there at runtime); Keel's own modules are bundled.
import { build, type Plugin } from "esbuild";
import { compiledServerDir } from "./compiled-server";

// Next.js has no "exports" map: Node's ESM loader finds `next/server` only as `next/server.js`.
const nextSubpaths: Plugin = {
  name: "next-subpaths",
  setup(compiler) {
    compiler.onResolve({ filter: /^next\/[\w-]+$/ }, (args) => ({ path: `${args.path}.js`, external: true }));
  },
};

const result = await build({
  entryPoints: { next: "scripts/next.ts", serve: "scripts/serve.ts", "document-worker": "lib/documents/processing/worker.ts" },
  outdir: compiledServerDir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  plugins: [nextSubpaths],
  sourcemap: "linked",
  logLevel: "warning",
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`keel: compiled the server to ${compiledServerDir}/ (${Object.keys(result.metafile.outputs).length} files, ${Math.round(bytes / 1024)} KiB)`);
