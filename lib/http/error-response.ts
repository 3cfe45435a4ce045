// A thrown error as the JSON answer of a route handler: a KeelError with its status and message,
// anything else as a 500 that shows nothing of the cause (which is logged).
import { isKeelError } from "@/lib/errors";
import { log } from "@/core/log";

// Plain Response.json, not NextResponse: the plain /api/v1 router (scripts/api-router.ts) loads
// this before Next.js, and importing next/server then breaks Next's start (its AsyncLocalStorage).
export function errorResponse(error: unknown): Response {
  if (isKeelError(error)) {
    return Response.json({ error: { code: error.code, message: error.message } }, { status: error.status });
  }
  log.error({ err: error }, "route handler failed");
  return Response.json({ error: { code: "internal", message: "Something went wrong on our side. Please try again." } }, { status: 500 });
}
