// An app process for the poison-document tests: runs Keel's functions on the local executor
// against DATABASE_URL, as an `npm start` worker does. With CRASH_ON_FUNCTION set it dies (exit
// code 70) the moment the executor hands a request of that function to the serve handler, as a
// worker killed by a poison document would: mid-step, holding the run's lease. Prints "ready".
import type { NextRequest } from "next/server";
import { createKeelLocalExecutor } from "@/inngest/local-executor/keel";
import { inngestHandler } from "@/inngest/serve-handler";

const crashOn = process.env.CRASH_ON_FUNCTION;
if (!process.env.DATABASE_URL) throw new Error("crashing-executor needs DATABASE_URL");

const executor = createKeelLocalExecutor({
  handler: (request) => {
    if (crashOn && request.method === "POST" && new URL(request.url).searchParams.get("fnId") === crashOn) process.exit(70);
    return inngestHandler(request as NextRequest, undefined);
  },
  settings: { leaseMs: 1_000, pollMs: 100, sleepScale: 0.001 },
});
await executor.start();
console.log("ready");
process.on("SIGTERM", () => void executor.stop({ graceMs: 1_000 }).finally(() => process.exit(0)));
