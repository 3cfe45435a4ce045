// Whether an error means the database could not be reached (connection refused, cut or timed out,
// the server shutting down or not yet accepting connections), rather than a problem with the
// statement. Entry points answer those with "try again in a moment" (503), not an internal error.

/** postgres.js's own codes for a connection it lost or could not open. */
const DRIVER_CODES = new Set(["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"]);
/** Node's socket errors on the way to the server. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/** SQLSTATEs of a server going away: admin, crash and "cannot connect now" shutdowns. */
const SHUTDOWN_STATES = new Set(["57P01", "57P02", "57P03"]);

function unreachableCode(code: unknown): boolean {
  if (typeof code !== "string") return false;
  // SQLSTATE class 08: connection exceptions.
  return DRIVER_CODES.has(code) || SOCKET_CODES.has(code) || SHUTDOWN_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code);
}

/** Looks down the cause chain (Drizzle wraps the driver's error as "Failed query: …"). */
export function isDatabaseUnreachable(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if (unreachableCode((current as Error & { code?: unknown }).code)) return true;
    current = current.cause;
  }
  return false;
}
