// What every /api/v1 model answer says about itself, and how a streamed one is sent.

/** Keel's own headers: the call's id (its usage event's key), who answered, the cache, offline. */
export function keelHeaders(result: { requestId: string; provider: string; cacheStatus: string; offline: boolean }): Record<string, string> {
  return {
    "x-keel-call-id": result.requestId,
    "x-keel-provider": result.provider,
    "x-keel-cache": result.cacheStatus,
    "x-keel-offline": String(result.offline),
  };
}

/** A server-sent event stream, unbuffered by proxies. */
export function eventStreamResponse(body: ReadableStream<Uint8Array>, headers: Record<string, string>): Response {
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", ...headers },
  });
}
