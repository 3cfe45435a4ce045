import type { CacheControl } from "@/lib/ai/types";

/** Per-request cache controls: `x-keel-cache: no-cache, no-store` and `x-keel-cache-ttl: <seconds>`. */
export function cacheControlFrom(headers: Headers): CacheControl {
  const directives = (headers.get("x-keel-cache") ?? "")
    .toLowerCase()
    .split(",")
    .map((d) => d.trim());
  const ttl = Number(headers.get("x-keel-cache-ttl"));
  return {
    noCache: directives.includes("no-cache"),
    noStore: directives.includes("no-store"),
    ttlSeconds: Number.isInteger(ttl) && ttl > 0 && ttl <= 30 * 86_400 ? ttl : undefined,
  };
}
