// `npm start`: Keel's compiled server (`npm run build` writes it after next build), run by Node
// alone: no TypeScript loader in production.
import { existsSync } from "node:fs";

const entry = new URL("../.next/keel-server/next.mjs", import.meta.url);
if (!existsSync(entry)) {
  console.error('keel: no compiled server in .next/keel-server; run "npm run build" first');
  process.exit(1);
}
process.argv.splice(2, 0, "start");
await import(entry.href);
