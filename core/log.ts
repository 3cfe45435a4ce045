// Structured JSON logs (pino). Every line carries the request id of the work it belongs to when
// there is one (see withLogContext), and errors are logged by what the driver said, never by a
// wrapped message that quotes the SQL and its parameters (which can hold completions or hashes).
import { AsyncLocalStorage } from "node:async_hooks";
import pino, { type Logger } from "pino";
import { processSingleton } from "./process-singleton";

export interface LogContext {
  requestId?: string;
  tenantId?: string;
  job?: string;
}

const context = processSingleton("log:context", () => new AsyncLocalStorage<LogContext>());

/** Runs `fn` with fields every log line inside it carries (request id, tenant, job). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

export function currentLogContext(): LogContext | undefined {
  return context.getStore();
}

function defaultLevel(): string {
  if (process.env.KEEL_LOG_LEVEL) return process.env.KEEL_LOG_LEVEL;
  // Tests assert on behaviour, not on log lines: only real problems show up in their output.
  return process.env.VITEST ? "error" : "info";
}

/** The driver's error, not drizzle's wrapper (whose message quotes the SQL and its parameters). */
export function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    if (current instanceof Error && current.message.startsWith("Failed query:") && current.cause !== undefined) current = current.cause;
    else break;
  }
  return current;
}

/** What a log line may say of an error: its kind, code and message, never query text or parameters. */
export function serializeError(error: unknown): Record<string, unknown> {
  const cause = rootCause(error);
  if (!(cause instanceof Error)) return { message: String(cause) };
  const { code, severity, routine } = cause as Error & { code?: unknown; severity?: unknown; routine?: unknown };
  const nested = cause.cause !== undefined && cause.cause !== cause ? { cause: serializeError(cause.cause) } : {};
  return {
    type: cause.name,
    message: cause.message.startsWith("Failed query:") ? "database query failed" : cause.message,
    ...(code !== undefined ? { code } : {}),
    ...(severity !== undefined ? { severity } : {}),
    ...(routine !== undefined ? { routine } : {}),
    stack: cause.stack?.split("\n").slice(1, 8).join("\n"),
    ...nested,
  };
}

export const log: Logger = processSingleton("log", () =>
  pino({
    level: defaultLevel(),
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: "msg",
    serializers: { err: serializeError, error: serializeError },
    // Never written, whatever a call site passes by mistake.
    redact: {
      paths: ["password", "passwordHash", "*.password", "*.passwordHash", "completion", "*.completion", "authorization", "*.authorization"],
      censor: "[redacted]",
    },
    mixin: () => ({ ...context.getStore() }),
  }),
);
