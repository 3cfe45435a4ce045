// What to tell a person when the browser's passkey prompt fails.
export function passkeyErrorMessage(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "NotAllowedError" || name === "AbortError") return "The passkey request was cancelled or timed out. Try again.";
  if (name === "InvalidStateError") return "This passkey is already on your account.";
  if (name === "NotSupportedError") return "This browser cannot use passkeys.";
  if (name === "SecurityError") return "Passkeys need this site's own address (its AUTH_URL host), over HTTPS or on localhost.";
  return "The passkey did not work. Try again.";
}
