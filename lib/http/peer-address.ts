// The address of the TCP peer, carried from Keel's own server (scripts/serve.ts) to Next.js
// handlers in a private header. Next.js passes a client's X-Forwarded-For through unchanged, so
// nothing a client sends can tell a handler where the request came from; this header can, because
// the server deletes any incoming copy and writes it from the socket before anything else runs.
// Handlers believe it only when that server marked the process (a flag on globalThis, shared by
// every module instance Next.js loads): under any other server it is just another client header.
import type { IncomingMessage } from "node:http";

export const peerAddressHeader = "x-keel-peer-address";

const holder = globalThis as typeof globalThis & { __keelPeerAddressAuthoritative?: boolean };

/** Called once by the server that stamps every request (scripts/serve.ts). */
export function markPeerAddressAuthoritative(): void {
  holder.__keelPeerAddressAuthoritative = true;
}

export function peerAddressIsAuthoritative(): boolean {
  return holder.__keelPeerAddressAuthoritative === true;
}

/** Replaces whatever the client sent in the private header with the socket's address. */
export function stampPeerAddress(request: IncomingMessage): void {
  delete request.headers[peerAddressHeader];
  // rawHeaders too: some consumers rebuild headers from it.
  const raw = request.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() === peerAddressHeader) raw.splice(i, 2);
  }
  const address = request.socket.remoteAddress;
  if (!address) return;
  request.headers[peerAddressHeader] = address;
  raw.push(peerAddressHeader, address);
}
