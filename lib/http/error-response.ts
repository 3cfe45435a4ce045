// A thrown error as the JSON answer of a route handler: a KeelError with its status and message,
// a database out of reach as a 503 to retry, anything else as a 500 that shows nothing of the
// cause (which is logged).
import { isDatabaseUnreachable } from "@/db/unreachable";
import { isKeelError } from "@/lib/errors";
import { log } from "@/core/log";

/** Seconds a client is asked to wait before trying again while the database is out of reach. */
const DATABASE_RETRY_AFTER_SECONDS = 5;
export const DATABASE_UNREACHABLE_MESSAGE = "Keel cannot reach its database right now. Try again in a moment.";

// Plain Response.json, not NextResponse: the plain /api/v1 router (scripts/api-router.ts) loads
// this before Next.js, and importing next/server then breaks Next's start (its AsyncLocalStorage).
export function errorResponse(error: unknown): Response {
  if (isKeelError(error)) {
    return Response.json({ error: { code: error.code, message: error.message } }, { status: error.status });
  }
  if (isDatabaseUnreachable(error)) {
    log.warn({ err: error }, "route handler: the database is out of reach");
    return Response.json(
      { error: { code: "database_unavailable", message: DATABASE_UNREACHABLE_MESSAGE } },
      { status: 503, headers: { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) } },
    );
  }
  log.error({ err: error }, "route handler failed");
  return Response.json({ error: { code: "internal", message: "Something went wrong on our side. Please try again." } }, { status: 500 });
}
