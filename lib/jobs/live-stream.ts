// The body of GET /api/live: server-sent events of the tenant's job progress and the caller's own
// notifications. The tenant comes from the session (never from the query), and every message is
// filtered by it in memory; a (re)connect starts with a snapshot of the jobs still running.
// A person holds at most MAX_LIVE_STREAMS_PER_USER streams (429 past that), and each stream ends
// within seconds of its person leaving the workspace or signing out (lib/jobs/live-stream-watch.ts).
import type { TenantSession } from "@/lib/auth/guard";
import { log } from "@/core/log";
import { shutdownSignal } from "@/lib/server/shutdown";
import { activeJobUpdates } from "./active-jobs";
import type { LiveMessage } from "./job-events";
import { admitLiveStream, releaseLiveStream } from "./live-stream-leases";
import { watchLiveStream } from "./live-stream-watch";
import { subscribeToLiveUpdates } from "./live-updates";

const HEARTBEAT_MS = 15_000;

/** Opens a stream for `ctx`, or throws `rate_limited` (429) when the person holds too many. */
export async function openLiveStream(ctx: TenantSession, signal: AbortSignal): Promise<Response> {
  const streamId = await admitLiveStream({ userId: ctx.userId, sessionId: ctx.sessionId, tenantId: ctx.tenantId });
  const encoder = new TextEncoder();
  let unsubscribe: (() => void) | undefined;
  let unwatch: (() => void) | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let forgetShutdown: (() => void) | undefined;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe?.();
    unwatch?.();
    forgetShutdown?.();
    clearInterval(heartbeat);
    releaseLiveStream(ctx.userId, streamId).catch((error: unknown) =>
      log.warn({ err: error, streamId }, "live: could not release a stream's lease; it expires by itself"),
    );
  };
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      let open = true;
      const write = (text: string) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          open = false;
          stop();
        }
      };
      const send = (event: string, data: unknown) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const snapshot = async () => {
        try {
          for (const update of await activeJobUpdates(ctx)) send("job", update);
          send("ready", { at: new Date().toISOString() });
        } catch (error) {
          log.warn({ err: error }, "live: could not send the snapshot");
        }
      };
      const end = (reason?: string) => {
        if (!open) return stop();
        // The browser's reconnect then meets the guard (401/403) and stops there.
        if (reason) send("closed", { reason });
        open = false;
        stop();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      signal.addEventListener("abort", () => end(), { once: true });
      // A stopping server ends the stream at once: the browser reconnects (to another worker, or
      // to the server once it is back) rather than holding the shutdown for its grace period.
      const closing = shutdownSignal();
      if (closing.aborted) return end();
      const onShutdown = () => end();
      closing.addEventListener("abort", onShutdown, { once: true });
      forgetShutdown = () => closing.removeEventListener("abort", onShutdown);
      unwatch = watchLiveStream(ctx.userId, { streamId, tenantId: ctx.tenantId, sessionId: ctx.sessionId, end });
      // Tell the browser to come back quickly if the connection drops.
      write("retry: 2000\n\n");
      let stopListening: () => void;
      try {
        stopListening = await subscribeToLiveUpdates({
          tenantId: ctx.tenantId,
          userId: ctx.userId,
          onMessage: (message: LiveMessage) => send(message.type, message),
          onResync: () => void snapshot(),
        });
      } catch (error) {
        log.error({ err: error }, "live: could not subscribe");
        return end();
      }
      // Ended while subscribing: drop the subscription at once.
      if (stopped) return stopListening();
      unsubscribe = stopListening;
      await snapshot();
      if (!stopped) heartbeat = setInterval(() => write(": keep-alive\n\n"), HEARTBEAT_MS);
    },
    cancel: () => stop(),
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      // no-transform: compression would buffer the stream and hold every event back.
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
