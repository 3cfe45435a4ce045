// Whether a failed write is the data's fault (retrying the same rows cannot help: split the batch)
// or the database's (connection lost, server restarting, deadlock: keep the rows and try again).
import { rootCause } from "@/core/log";

// SQLSTATE classes that describe the statement or its data, not the server's state.
const DATA_CLASSES = new Set(["22", "23", "42", "2F", "P0", "54", "0A", "21", "39"]);

export function isDataError(error: unknown): boolean {
  const cause = rootCause(error);
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && DATA_CLASSES.has(code.slice(0, 2));
}
