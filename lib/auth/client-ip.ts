// Where a request came from, for throttling. By default only the TCP peer counts (Keel's server
// stamps it, lib/http/peer-address.ts); X-Forwarded-For is believed only as far as the operator
// says proxies they run append to it (KEEL_TRUSTED_PROXY_HOPS). Anything that is not an IP
// address is ignored, so a client cannot choose its own throttling key.
import { isIP } from "node:net";
import { trustedProxyHops } from "@/lib/config/security-settings";
import { peerAddressHeader, peerAddressIsAuthoritative } from "@/lib/http/peer-address";

export interface ClientIpOptions {
  /** Proxies in front of Keel that append to X-Forwarded-For (default: KEEL_TRUSTED_PROXY_HOPS). */
  trustedHops?: number;
  /** Whether the peer-address header was written by Keel's server (default: the process flag). */
  peerAddressTrusted?: boolean;
}

/** A canonical IP address, or null for anything else (ports, names, garbage). */
export function normaliseAddress(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  if (!trimmed || trimmed.length > 64 || isIP(trimmed) === 0) return null;
  const unzoned = trimmed.replace(/%.*$/, "").toLowerCase();
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(unzoned);
  return mapped ? mapped[1]! : unzoned;
}

/**
 * The caller's address, or null when unknown. With N trusted hops the Nth X-Forwarded-For entry
 * from the right is the one the outermost trusted proxy saw (entries further left were written by
 * the client); with fewer entries than hops, the leftmost; with none, the peer itself.
 */
export function clientIp(headers: Headers, options: ClientIpOptions = {}): string | null {
  const peerTrusted = options.peerAddressTrusted ?? peerAddressIsAuthoritative();
  const peer = peerTrusted ? normaliseAddress(headers.get(peerAddressHeader)) : null;
  if (!peer) return null;
  const hops = options.trustedHops ?? trustedProxyHops();
  if (hops === 0) return peer;
  const forwarded = headers.get("x-forwarded-for");
  if (!forwarded) return peer;
  const entries = forwarded.split(",");
  const chosen = entries[Math.max(0, entries.length - hops)];
  return normaliseAddress(chosen) ?? peer;
}

/**
 * The unit one throttling counter covers: an IPv4 address, or an IPv6 /64 (one subscriber usually
 * holds a whole /64, so counting single IPv6 addresses would let them rotate freely).
 */
export function addressGroup(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = "", tail = ""] = address.split("::");
  const words = (part: string) => (part ? part.split(":") : []);
  const left = words(head);
  const right = words(tail);
  // An embedded IPv4 tail (::1.2.3.4) is two words; only the first four words matter here anyway.
  const rightCount = right.reduce((n, w) => n + (w.includes(".") ? 2 : 1), 0);
  const full = address.includes("::") ? [...left, ...Array<string>(Math.max(0, 8 - left.length - rightCount)).fill("0"), ...right] : left;
  return `${full
    .slice(0, 4)
    .map((w) => (w.includes(".") ? w : w.replace(/^0+(?=.)/, "")))
    .join(":")}::/64`;
}
