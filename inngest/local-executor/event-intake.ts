// The Inngest client's `fetch` when the local executor runs the jobs: `inngest.send()` and
// `step.sendEvent()` post to Inngest's event API (`POST {base}/e/{key}`), and this answers that
// call by storing the events in the database queue, with the reply the SDK expects. Every other
// Inngest API call (realtime, checkpoints, run lookups) is refused loudly: nothing stands behind it.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { LocalEvent } from "@/db/schema";
import { log } from "@/lib/observability/log";
import { enqueueEvents } from "./event-store";
import { UnsupportedByLocalExecutor } from "./unsupported";

/** The base URL the client is given in local mode: `.invalid` never resolves, so nothing leaks to the network. */
export const LOCAL_EXECUTOR_ORIGIN = "http://local-executor.invalid";

const sentEvent = z.looseObject({
  name: z.string().min(1),
  data: z.record(z.string(), z.unknown()).optional(),
  id: z.string().min(1).optional(),
  ts: z.number().optional(),
  user: z.record(z.string(), z.unknown()).optional(),
  v: z.string().optional(),
});
const sentEvents = z.array(sentEvent).max(5_000);

export function toLocalEvent(event: z.infer<typeof sentEvent>, now = Date.now()): LocalEvent {
  return { ...event, id: event.id ?? randomUUID(), name: event.name, data: event.data ?? {}, ts: event.ts ?? now };
}

export const localEventApi = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const request = new Request(input, init);
  const { pathname } = new URL(request.url);
  if (request.method === "POST" && /^\/e\/[^/]+$/.test(pathname)) {
    const parsed = sentEvents.safeParse(await request.json().catch(() => null));
    if (!parsed.success) return Response.json({ status: 400, error: `Invalid events: ${parsed.error.message}` }, { status: 400 });
    const events = parsed.data.map((event) => toLocalEvent(event));
    await enqueueEvents(events);
    return Response.json({ ids: events.map((e) => e.id), status: 200 });
  }
  const error = new UnsupportedByLocalExecutor(`Inngest's API call ${request.method} ${pathname}`);
  log.error({ err: error }, "local executor: refused an Inngest API call");
  return Response.json({ status: 501, error: error.message }, { status: 501 });
};
