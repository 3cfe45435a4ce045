// Is something running the durable jobs? With the local executor: is it taking work in this
// process; a serving worker whose jobs run in the job process beside it (or on another instance:
// KEEL_PROCESS_ROLE=web, scripts/serve.ts) does not probe it, as Inngest Cloud is not probed, and
// `npm start` replaces a job process that dies. With an Inngest server at a known address: does
// it answer.
import { jobRuntime } from "@/core/job-runtime";
import { processSingletonIfCreated } from "@/core/process-singleton";
import type { JobRunnerStatus } from "./readiness";

export async function jobRunnerStatus(env: NodeJS.ProcessEnv = process.env): Promise<JobRunnerStatus> {
  const runtime = jobRuntime(env);
  if (runtime.kind === "local-executor") {
    if (env.KEEL_PROCESS_ROLE?.trim() === "web") return { ok: true, detail: "local executor: in the job process (not probed)" };
    const state = processSingletonIfCreated<{ state: string }>("jobs:local-executor-state")?.state ?? "not started";
    return { ok: state === "running", detail: `local executor: ${state}` };
  }
  const devUrl = env.INNGEST_DEV && /^https?:\/\//.test(env.INNGEST_DEV) ? env.INNGEST_DEV : null;
  const base = env.INNGEST_BASE_URL?.trim() || devUrl || (env.INNGEST_DEV ? "http://localhost:8288" : null);
  if (!base) return { ok: true, detail: `${runtime.description} (not probed)` };
  try {
    const response = await fetch(base, { method: "GET", signal: AbortSignal.timeout(1_500), redirect: "manual" });
    await response.body?.cancel();
    return { ok: true, detail: `${runtime.description}: answered ${response.status}` };
  } catch {
    return { ok: false, detail: `${runtime.description}: not reachable` };
  }
}
