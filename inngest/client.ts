// The one Inngest client. Event names are past-tense facts (`document/uploaded`).
// Without an Inngest server (core/job-runtime.ts) it runs in dev mode, where the handler checks
// no signatures (only the in-process local executor calls it; /api/inngest refuses everyone), and
// its event API calls land in the local executor's queue in the database. In production with an
// Inngest server it is never in dev mode, whatever INNGEST_DEV says: every request to /api/inngest
// must then carry Inngest's signature.
import { Inngest } from "inngest";
import { jobRuntime } from "@/core/job-runtime";
import { LOCAL_EXECUTOR_ORIGIN, localEventApi } from "./local-executor/keel";

/** The client options that hand events to the local executor (tests build clients with them too). */
export const localExecutorClientOptions = { isDev: true, baseUrl: LOCAL_EXECUTOR_ORIGIN, fetch: localEventApi };

function clientOptions() {
  if (jobRuntime().kind === "local-executor") return localExecutorClientOptions;
  return process.env.NODE_ENV === "production" ? { isDev: false } : {};
}

export const inngest = new Inngest({ id: "keel", ...clientOptions() });
