/**
 * A same-site path to go to after sign-in. Absolute http(s) URLs (Auth.js sends them) keep only
 * their path; anything a browser could read as another site falls back. Browsers drop tabs and
 * newlines anywhere in a URL and treat "\" like "/", so "/\t/evil.test" and "/\evil.test" are
 * "//evil.test" to them: control characters and backslashes are refused outright, and so is a
 * path that decodes to one of those tricks, in case anything on the way decodes it.
 */
const base = "http://keel.invalid";
const unsafeCharacters = /[\u0000-\u001f\u007f\\]/;

function isSafePath(path: string): boolean {
  if (!path.startsWith("/") || path.startsWith("//")) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return false;
  }
  return !unsafeCharacters.test(decoded) && !decoded.startsWith("//");
}

export function safeRedirectPath(value: unknown, fallback = "/chat"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048 || unsafeCharacters.test(value)) return fallback;
  const absolute = /^https?:\/\//i.test(value);
  if (!absolute && !value.startsWith("/")) return fallback;
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return fallback;
  }
  if (!absolute && url.origin !== base) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return isSafePath(path) ? path : fallback;
}
