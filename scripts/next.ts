// `npm run dev` / `npm start`: first-run configuration, then the Next.js server.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { ensureLocalEnv } from "./ensure-env";

const [command = "dev", ...args] = process.argv.slice(2);
const added = ensureLocalEnv();
if (added.length > 0) console.log(`keel: wrote ${added.join(", ")} to .env.local`);

const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const child = spawn(process.execPath, [nextBin, command, ...args], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
