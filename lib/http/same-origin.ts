// Browsers send an Origin header with every cross-site POST. Session-authenticated routes that
// change data refuse a foreign one: the SameSite cookie already keeps most cross-site requests
// unauthenticated, and this closes the rest (same-site subdomains, older browsers).
import { KeelError } from "@/lib/errors";

export function assertSameOrigin(request: Request): void {
  const origin = request.headers.get("origin");
  if (!origin) return;
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw new KeelError("forbidden", "This request came from another site.");
  }
  if (host && originHost !== host) throw new KeelError("forbidden", "This request came from another site.");
}
