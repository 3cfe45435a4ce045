// The Inngest client's `fetch` when the local executor runs the jobs: `inngest.send()` and
// `step.sendEvent()` post to Inngest's event API (`POST {base}/e/{key}`), and this answers that
// call by storing the events, with the reply Inngest's event API gives: the same size and count
// limits with the same errors, and an event's id derived from the SDK's id seed when it has none,
// so the SDK's own retries of a send store each event once. Every other Inngest API call
// (realtime, checkpoints, run lookups) is refused loudly: nothing stands behind it.
import { createHash } from "node:crypto";
import { z } from "zod";
import { eventCountError, eventSizeError, INNGEST_MAX_EVENTS_PER_SEND, jsonBytes, type EventLimits } from "./limits";
import type { ExecutorStore } from "./store";
import type { ExecutorEvent, ExecutorLogger } from "./types";
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
type SentEvent = z.infer<typeof sentEvent>;

/** The SDK's `x-inngest-event-id-seed` and the event's index → the same id on every retry. */
function seededId(seed: string, index: number): string {
  const hex = createHash("sha256").update(`${seed}\n${index}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function toExecutorEvent(event: SentEvent, id: string, now = Date.now()): ExecutorEvent {
  return { ...event, id: event.id ?? id, name: event.name, data: event.data ?? {}, ts: event.ts ?? now };
}

const reply = (status: number, ids: string[], error?: string) => Response.json({ ids, status, ...(error ? { error } : {}) }, { status });

export function createEventApi(store: ExecutorStore, logger: ExecutorLogger, limits: EventLimits) {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const { pathname } = new URL(request.url);
    if (request.method !== "POST" || !/^\/e\/[^/]+$/.test(pathname)) {
      const error = new UnsupportedByLocalExecutor(`Inngest's API call ${request.method} ${pathname}`);
      logger.error({ err: error }, "local executor: refused an Inngest API call");
      return Response.json({ status: 501, error: error.message }, { status: 501 });
    }
    const body: unknown = await request.json().catch(() => undefined);
    const items = Array.isArray(body) ? body : body !== undefined && body !== null && typeof body === "object" ? [body] : null;
    if (!items) return reply(400, [], "Request body must contain an event object or an array of event objects");
    if (items.length > INNGEST_MAX_EVENTS_PER_SEND) return reply(400, [], eventCountError());

    // As Inngest's event API: events before the first refused one are accepted, and their ids returned.
    const seed = request.headers.get("x-inngest-event-id-seed") ?? crypto.randomUUID();
    const accepted: ExecutorEvent[] = [];
    let refusal: string | null = null;
    for (const [index, item] of items.entries()) {
      const bytes = jsonBytes(item);
      if (bytes > limits.eventBytes) {
        refusal = eventSizeError(limits.eventBytes, bytes);
        break;
      }
      const parsed = sentEvent.safeParse(item);
      if (!parsed.success) {
        refusal = `Invalid event: ${parsed.error.message}`;
        break;
      }
      accepted.push(toExecutorEvent(parsed.data, seededId(seed, index)));
    }
    if (accepted.length) await store.transaction("store sent events", (tx) => tx.insertEvents(accepted));
    const ids = accepted.map((event) => event.id);
    return refusal ? reply(400, ids, refusal) : reply(200, ids);
  };
}
