// Every request gets an id of Keel's choosing: in the `x-request-id` response header and on every
// log line written while it is handled (the log context follows the request's async work). Never
// the client's own: a chosen id could be used to muddle someone else's trail in the logs.
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { withLogContext } from "@/core/log";

export function withRequestId<T>(response: ServerResponse, handle: (requestId: string) => T): T {
  const requestId = randomUUID();
  response.setHeader("x-request-id", requestId);
  return withLogContext({ requestId }, () => handle(requestId));
}
