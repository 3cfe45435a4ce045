import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { clientIp } from "@/lib/auth/client-ip";
import { peerAddressHeader, stampPeerAddress } from "./peer-address";

describe("stampPeerAddress", () => {
  it("replaces a client's copy of the peer-address header with the socket's address", async () => {
    const seen: Array<{ headers: Record<string, unknown>; raw: string[] }> = [];
    const server = createServer((request, response) => {
      stampPeerAddress(request);
      seen.push({ headers: { ...request.headers }, raw: [...request.rawHeaders] });
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await fetch(`http://127.0.0.1:${port}/`, { headers: { [peerAddressHeader]: "198.51.100.66", "x-forwarded-for": "198.51.100.67" } });
      const [{ headers, raw }] = seen as [(typeof seen)[0]];
      expect(headers[peerAddressHeader]).toBe("127.0.0.1");
      const rawValues = raw.filter((_, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === peerAddressHeader);
      expect(rawValues).toEqual(["127.0.0.1"]);
      // What a handler then concludes, with the process marked as stamped:
      const forHandler = new Headers(headers as Record<string, string>);
      expect(clientIp(forHandler, { peerAddressTrusted: true, trustedHops: 0 })).toBe("127.0.0.1");
    } finally {
      server.close();
    }
  });
});
