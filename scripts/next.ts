// `npm run dev` / `npm start`: Keel's server (scripts/serve.ts: the peer address stamped on every
// request, worker processes, /api/v1 served from its route modules), in development mode with
// first-run configuration, or in production mode, which refuses to start without its secrets.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureLocalEnv, protectLocalEnv } from "./ensure-env";

const [command = "dev", ...args] = process.argv.slice(2);
if (command === "dev") {
  const added = ensureLocalEnv();
  if (added.length > 0) console.log(`keel: wrote ${added.join(", ")} to .env.local`);
} else {
  protectLocalEnv();
}

const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled by `npm run build` (.next/keel-server/next.mjs, what `npm start` runs), its serve.mjs
// beside it is plain JavaScript; from the sources (`npm run dev`), serve.ts runs through tsx.
const serve = import.meta.url.endsWith(".mjs") ? [path.join(here, "serve.mjs")] : ["--import", "tsx", path.join(here, "serve.ts")];
const argv = command === "start" ? [...serve, ...args] : command === "dev" ? [...serve, "--dev", ...args] : [nextBin, command, ...args];
const child = spawn(process.execPath, argv, { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
