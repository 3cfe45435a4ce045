// Typed errors: a stable code for programs, a message a person can act on, an HTTP status.
// Database and other unexpected errors are logged, never shown.

const errorStatus = {
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_input: 400,
  gone: 410,
  rate_limited: 429,
  /** A capability this deployment is not configured for (e.g. mail without SMTP). */
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

// A process-wide brand rather than `instanceof`: Next.js may load this module more than once.
const brand = Symbol.for("keel.KeelError");

export class KeelError extends Error {
  readonly [brand] = true;
  readonly code: ErrorCode;
  readonly status: number;
  /** Per-field messages for forms. */
  readonly fieldErrors: Record<string, string>;

  constructor(code: ErrorCode, message: string, fieldErrors: Record<string, string> = {}) {
    super(message);
    this.name = "KeelError";
    this.code = code;
    this.status = errorStatus[code];
    this.fieldErrors = fieldErrors;
  }
}

export function isKeelError(error: unknown): error is KeelError {
  return typeof error === "object" && error !== null && (error as { [brand]?: boolean })[brand] === true;
}
