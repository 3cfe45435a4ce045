// The one Inngest client. Event names are past-tense facts (`document/uploaded`).
// Without an Inngest server (inngest/job-runtime.ts) it runs in dev mode, where the handler checks
// no signatures (only the in-process local executor calls it; /api/inngest refuses everyone), and
// its event API calls land in the local executor's queue in the database.
import { Inngest } from "inngest";
import { jobRuntime } from "./job-runtime";
import { LOCAL_EXECUTOR_ORIGIN, localEventApi } from "./local-executor/event-intake";

/** The client options that hand events to the local executor (tests build clients with them too). */
export const localExecutorClientOptions = { isDev: true, baseUrl: LOCAL_EXECUTOR_ORIGIN, fetch: localEventApi };

export const inngest = new Inngest({ id: "keel", ...(jobRuntime().kind === "local-executor" ? localExecutorClientOptions : {}) });
