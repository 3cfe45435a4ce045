/**
 * A same-site path to go to after sign-in. Absolute URLs (Auth.js sends them) keep only their
 * path, and "//evil.test" falls back, so a crafted link cannot bounce users to another site.
 */
export function safeRedirectPath(value: unknown, fallback = "/chat"): string {
  if (typeof value !== "string" || value.length === 0) return fallback;
  if (/^https?:\/\//i.test(value)) {
    try {
      const url = new URL(value);
      return `${url.pathname}${url.search}${url.hash}`;
    } catch {
      return fallback;
    }
  }
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  return value;
}
