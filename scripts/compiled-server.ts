// Where `npm run build` puts Keel's compiled server (scripts/build-server.ts), and the Node
// arguments that run it: what `npm start`, the end-to-end tests and the benchmarks start.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export const compiledServerDir = path.join(".next", "keel-server");
export const compiledServer = path.join(compiledServerDir, "serve.mjs");

/** `node <these> -p …` starts the production server from the project directory. */
export function productionServerArgs(root = process.cwd()): string[] {
  const entry = path.join(root, compiledServer);
  if (!existsSync(entry)) throw new Error(`${compiledServer} is missing: run "npm run build" first (it compiles the server after next build).`);
  return [entry];
}

/** What `npm run build` does (next build, then the server's compilation), for the benchmarks. */
export async function buildProduction(env: NodeJS.ProcessEnv): Promise<void> {
  const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
  for (const [what, args] of [
    ["next build", [nextBin, "build"]],
    ["the server's compilation", ["--import", "tsx", "scripts/build-server.ts"]],
  ] as const) {
    const code = await new Promise<number>((resolve) =>
      spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"], env }).on("exit", (c) => resolve(c ?? 1)),
    );
    if (code !== 0) throw new Error(`${what} failed`);
  }
}
