// Turns a tenant's webhook URL into an address Keel may connect to, or refuses it. Checked when the
// URL is saved (so the tenant hears why at once) and again before every delivery (a name can be
// re-pointed at any time): every address the name resolves to must be public.
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { unsafeAddressReason } from "./safe-address";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (dns.lookup with all: true, what a connection would use). */
type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export interface WebhookTargetOptions {
  /** Name resolution; tests inject a resolver (e.g. a name that turns into 127.0.0.1). */
  resolveHost?: ResolveHost;
  /** http:// as well as https:// (KEEL_WEBHOOK_ALLOW_HTTP; tests). */
  allowHttp?: boolean;
  /**
   * Tests only: lets a delivery reach an address the rules refuse (a receiver on loopback). It is a
   * function argument, never read from configuration: production code paths do not pass it.
   */
  allowAddress?: (address: string) => boolean;
}

export interface WebhookTarget {
  url: URL;
  /** The checked address the request must connect to (not whatever the name resolves to later). */
  address: ResolvedAddress;
}

export class UnsafeWebhookUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeWebhookUrlError";
  }
}

/** Names that reach the machine itself or a cloud provider's metadata service. */
const BLOCKED_HOSTS = /^(?:localhost|.*\.localhost|metadata|metadata\.google\.internal|metadata\.goog)\.?$/i;

/** http:// URLs are for development only, with KEEL_WEBHOOK_ALLOW_HTTP=true. */
function plainHttpAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.KEEL_WEBHOOK_ALLOW_HTTP === "true" || env.KEEL_WEBHOOK_ALLOW_HTTP === "1";
}

const defaultResolveHost: ResolveHost = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** The URL's scheme and shape, without touching the network (also what the settings form checks). */
export function webhookUrlProblem(raw: string, options: Pick<WebhookTargetOptions, "allowHttp"> = {}): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "Enter a full https:// URL.";
  }
  const allowHttp = options.allowHttp ?? plainHttpAllowed();
  if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) return "Use an https:// URL.";
  if (url.username || url.password) return "Leave user names and passwords out of the URL; verify deliveries by their signature instead.";
  if (BLOCKED_HOSTS.test(url.hostname)) return "Webhooks must go to a public internet address, not this machine or a metadata service.";
  return null;
}

/**
 * Checks the URL and resolves its host; refuses it if ANY address it resolves to is loopback,
 * private, link-local, unspecified, CGNAT, multicast, reserved or a metadata address (IPv4-mapped
 * and other IPv6 forms of those included). Returns the first address, to connect to exactly that.
 */
export async function resolveWebhookTarget(raw: string, options: WebhookTargetOptions = {}): Promise<WebhookTarget> {
  const problem = webhookUrlProblem(raw, options);
  if (problem) throw new UnsafeWebhookUrlError(problem);
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.resolveHost ?? defaultResolveHost)(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) throw new UnsafeWebhookUrlError(`${host} could not be resolved. Check the host name.`);
  }
  for (const { address } of addresses) {
    const reason = unsafeAddressReason(address);
    if (reason && !options.allowAddress?.(address)) {
      throw new UnsafeWebhookUrlError(`${host} resolves to ${address} (${reason}). Webhooks must go to a public internet address.`);
    }
  }
  return { url, address: addresses[0]! };
}
