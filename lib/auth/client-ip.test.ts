import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { peerAddressHeader } from "@/lib/http/peer-address";
import { addressGroup, clientIp, normaliseAddress } from "./client-ip";

function headers(values: Record<string, string>): Headers {
  return new Headers(values);
}

const peer = "203.0.113.10";

describe("clientIp", () => {
  it("uses the socket's address and ignores X-Forwarded-For and X-Real-IP unless proxies are trusted", () => {
    const sent = headers({ [peerAddressHeader]: peer, "x-forwarded-for": "198.51.100.1", "x-real-ip": "198.51.100.2" });
    expect(clientIp(sent, { peerAddressTrusted: true, trustedHops: 0 })).toBe(peer);
  });

  it("knows no address when Keel's own server did not stamp the request", () => {
    const sent = headers({ [peerAddressHeader]: peer, "x-forwarded-for": "198.51.100.1" });
    expect(clientIp(sent, { peerAddressTrusted: false, trustedHops: 1 })).toBeNull();
    expect(clientIp(headers({ "x-forwarded-for": "198.51.100.1" }), { peerAddressTrusted: true, trustedHops: 1 })).toBeNull();
  });

  it("with N trusted proxies, believes the Nth X-Forwarded-For entry from the right", () => {
    const sent = headers({ [peerAddressHeader]: peer, "x-forwarded-for": "192.0.2.66, 198.51.100.1,198.51.100.2" });
    expect(clientIp(sent, { peerAddressTrusted: true, trustedHops: 1 })).toBe("198.51.100.2");
    expect(clientIp(sent, { peerAddressTrusted: true, trustedHops: 2 })).toBe("198.51.100.1");
    expect(clientIp(sent, { peerAddressTrusted: true, trustedHops: 3 })).toBe("192.0.2.66");
    // Fewer entries than hops: the furthest one a trusted proxy wrote.
    expect(clientIp(sent, { peerAddressTrusted: true, trustedHops: 5 })).toBe("192.0.2.66");
    // No header at all: the peer itself.
    expect(clientIp(headers({ [peerAddressHeader]: peer }), { peerAddressTrusted: true, trustedHops: 1 })).toBe(peer);
  });

  it("ignores anything that is not an IP address", () => {
    const long = randomBytes(1536).toString("hex");
    for (const forwarded of [long, "198.51.100.1, unknown", "198.51.100.1, 198.51.100.2:443", "198.51.100.1, ", "<script>", "198.51.100.1, 999.1.1.1"]) {
      expect(clientIp(headers({ [peerAddressHeader]: peer, "x-forwarded-for": forwarded }), { peerAddressTrusted: true, trustedHops: 1 })).toBe(peer);
    }
    expect(clientIp(headers({ [peerAddressHeader]: long }), { peerAddressTrusted: true, trustedHops: 0 })).toBeNull();
  });

  it("reads KEEL_TRUSTED_PROXY_HOPS and refuses a value that is not a small whole number", () => {
    const sent = headers({ [peerAddressHeader]: peer, "x-forwarded-for": "198.51.100.1" });
    const saved = process.env.KEEL_TRUSTED_PROXY_HOPS;
    try {
      process.env.KEEL_TRUSTED_PROXY_HOPS = "1";
      expect(clientIp(sent, { peerAddressTrusted: true })).toBe("198.51.100.1");
      process.env.KEEL_TRUSTED_PROXY_HOPS = "one";
      expect(() => clientIp(sent, { peerAddressTrusted: true })).toThrow(/KEEL_TRUSTED_PROXY_HOPS/);
    } finally {
      if (saved === undefined) delete process.env.KEEL_TRUSTED_PROXY_HOPS;
      else process.env.KEEL_TRUSTED_PROXY_HOPS = saved;
    }
  });

  it("writes addresses one way", () => {
    expect(normaliseAddress(" ::ffff:192.0.2.7 ")).toBe("192.0.2.7");
    expect(normaliseAddress("2001:DB8::1")).toBe("2001:db8::1");
    expect(normaliseAddress("fe80::1%eth0")).toBe("fe80::1");
    expect(normaliseAddress("192.0.2.7:80")).toBeNull();
  });

  it("counts an IPv6 client by its /64", () => {
    expect(addressGroup("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(addressGroup("2001:db8:1:2::ffff")).toBe(addressGroup("2001:db8:1:2:aaaa::1"));
    expect(addressGroup("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressGroup("::1")).toBe("0:0:0:0::/64");
    expect(addressGroup("192.0.2.7")).toBe("192.0.2.7");
  });
});
