// GET /api/live: server-sent events of the signed-in tenant's job progress and the caller's own
// notifications. The tenant comes from the session (never from the query), and every message is
// filtered by it; a (re)connect starts with a snapshot of the jobs still running.
import { activeJobUpdates } from "@/lib/jobs/active-jobs";
import type { LiveMessage } from "@/lib/jobs/job-events";
import { subscribeToLiveUpdates } from "@/lib/jobs/live-updates";
import { withTenantRoute } from "@/lib/http/tenant-route";
import { log } from "@/lib/observability/log";
import { shutdownSignal } from "@/lib/server/shutdown";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 15_000;

export const GET = withTenantRoute(async (request, ctx) => {
  const encoder = new TextEncoder();
  let unsubscribe: (() => void) | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    unsubscribe?.();
    clearInterval(heartbeat);
  };
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      let open = true;
      const send = (event: string, data: unknown) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        } catch {
          open = false;
          stop();
        }
      };
      const snapshot = async () => {
        try {
          for (const update of await activeJobUpdates(ctx)) send("job", update);
          send("ready", { at: new Date().toISOString() });
        } catch (error) {
          log.warn({ err: error }, "live: could not send the snapshot");
        }
      };
      const end = () => {
        open = false;
        stop();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      request.signal.addEventListener("abort", end);
      // A stopping server ends the stream at once: the browser reconnects (to another worker, or
      // to the server once it is back) rather than holding the shutdown for its grace period.
      const closing = shutdownSignal();
      if (closing.aborted) return end();
      closing.addEventListener("abort", end, { once: true });
      // Tell the browser to come back quickly if the connection drops.
      controller.enqueue(encoder.encode("retry: 2000\n\n"));
      unsubscribe = await subscribeToLiveUpdates({
        tenantId: ctx.tenantId,
        userId: ctx.userId,
        onMessage: (message: LiveMessage) => send(message.type, message),
        onResync: () => void snapshot(),
      });
      await snapshot();
      heartbeat = setInterval(() => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(": keep-alive\n\n"));
        } catch {
          open = false;
          stop();
        }
      }, HEARTBEAT_MS);
    },
    cancel: stop,
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      // no-transform: compression would buffer the stream and hold every event back.
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
});
