// Where `npm run build` puts Keel's compiled server (scripts/build-server.ts), and the Node
// arguments that run it: what `npm start`, the end-to-end tests and the benchmarks start.
import { existsSync } from "node:fs";
import path from "node:path";

export const compiledServerDir = path.join(".next", "keel-server");
export const compiledServer = path.join(compiledServerDir, "serve.mjs");

/** `node <these> -p …` starts the production server from the project directory. */
export function productionServerArgs(root = process.cwd()): string[] {
  const entry = path.join(root, compiledServer);
  if (!existsSync(entry)) throw new Error(`${compiledServer} is missing: run "npm run build" first (it compiles the server after next build).`);
  return [entry];
}
