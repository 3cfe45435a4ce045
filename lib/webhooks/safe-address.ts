// Which IP addresses an outgoing webhook may reach: public unicast only. A tenant chooses the URL,
// so without this check Keel would POST on the tenant's behalf to its own loopback services, the
// private network it runs in, or a cloud metadata endpoint (server-side request forgery).
import { isIP } from "node:net";

/** Why an address is refused, or null when it is a public address. */
export type UnsafeAddressReason =
  | "unspecified"
  | "loopback"
  | "private"
  | "shared address space (CGNAT)"
  | "link-local"
  | "cloud metadata"
  | "multicast"
  | "reserved"
  | "documentation"
  | "not an IP address";

interface Range {
  bits: number[];
  prefix: number;
  reason: UnsafeAddressReason;
}

/** "10.0.0.0/8" → the address as bits (big-endian), the prefix length. */
function range(cidr: string, reason: UnsafeAddressReason): Range {
  const [address, prefix] = cidr.split("/") as [string, string];
  const bytes = isIP(address) === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  if (!bytes) throw new Error(`Bad range ${cidr}`);
  return { bits: toBits(bytes), prefix: Number(prefix), reason };
}

// Specific entries first: the first match names the reason.
const ipv4Ranges: readonly Range[] = [
  range("169.254.169.254/32", "cloud metadata"),
  range("0.0.0.0/8", "unspecified"),
  range("127.0.0.0/8", "loopback"),
  range("10.0.0.0/8", "private"),
  range("172.16.0.0/12", "private"),
  range("192.168.0.0/16", "private"),
  range("100.64.0.0/10", "shared address space (CGNAT)"),
  range("169.254.0.0/16", "link-local"),
  range("192.0.0.0/24", "reserved"),
  range("192.0.2.0/24", "documentation"),
  range("198.51.100.0/24", "documentation"),
  range("203.0.113.0/24", "documentation"),
  range("198.18.0.0/15", "reserved"),
  range("224.0.0.0/4", "multicast"),
  range("240.0.0.0/4", "reserved"),
];

const ipv6Ranges: readonly Range[] = [
  range("fd00:ec2::254/128", "cloud metadata"),
  range("::/128", "unspecified"),
  range("::1/128", "loopback"),
  range("fc00::/7", "private"),
  range("fe80::/10", "link-local"),
  range("fec0::/10", "private"),
  range("ff00::/8", "multicast"),
  range("2001:db8::/32", "documentation"),
  range("100::/64", "reserved"),
];

/**
 * IPv6 forms that carry an IPv4 address, which is what the packet really reaches: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
 */
function embeddedIpv4(bytes: readonly number[]): number[] | null {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  if (zeros(0, 12) && !zeros(12, 16)) return bytes.slice(12);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return bytes.slice(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  return null;
}

/** Null for a public unicast address; otherwise why Keel will not send to it. */
export function unsafeAddressReason(address: string): UnsafeAddressReason | null {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return match(toBits(ipv4Bytes(bare)!), ipv4Ranges);
  if (family !== 6) return "not an IP address";
  const bytes = ipv6Bytes(bare);
  if (!bytes) return "not an IP address";
  const v4 = embeddedIpv4(bytes);
  return match(toBits(bytes), ipv6Ranges) ?? (v4 ? match(toBits(v4), ipv4Ranges) : null);
}

function match(bits: readonly number[], ranges: readonly Range[]): UnsafeAddressReason | null {
  for (const r of ranges) {
    let inside = true;
    for (let i = 0; i < r.prefix && inside; i++) inside = bits[i] === r.bits[i];
    if (inside) return r.reason;
  }
  return null;
}

function toBits(bytes: readonly number[]): number[] {
  return bytes.flatMap((byte) => Array.from({ length: 8 }, (_, i) => (byte >> (7 - i)) & 1));
}

function ipv4Bytes(address: string): number[] | null {
  const parts = address.split(".").map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts : null;
}

/** 16 bytes of an IPv6 address in any textual form ("::", embedded dotted IPv4). */
function ipv6Bytes(address: string): number[] | null {
  let text = address.toLowerCase();
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Bytes(dotted[1]!);
    if (!v4) return null;
    tail.push(...v4);
    text = `${text.slice(0, -dotted[1]!.length)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0] ?? "");
  const rest = halves.length === 2 ? groups(halves[1] ?? "") : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const bytes: number[] = [];
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail.length > 0) bytes.splice(12, 4, ...tail);
  return bytes;
}
