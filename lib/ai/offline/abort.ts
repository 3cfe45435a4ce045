// Aborts as the AI SDK expects them from a model, shared by the offline language and embedding models.

export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  // The SDK treats AbortError/TimeoutError as a clean abort (streamText emits an "abort" part).
  if (reason instanceof Error && (reason.name === "AbortError" || reason.name === "TimeoutError")) return reason;
  const error = new Error(typeof reason === "string" ? `Aborted: ${reason}` : "The operation was aborted.", { cause: reason });
  error.name = "AbortError";
  return error;
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      if (signal) reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
