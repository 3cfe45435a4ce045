// The `fetch` the provider SDKs and the batch client use: Node's fetch through an undici Agent of
// Keel's own, so provider calls get a connect timeout, a keep-alive pool sized for the gateway and
// no body or header timeouts of undici's (the gateway's per-attempt timeouts govern instead: a
// long answer is not cut at undici's 300 s). With HTTP_PROXY / HTTPS_PROXY set, undici's
// EnvHttpProxyAgent sends them through the proxy, except for the hosts NO_PROXY names.
import { Agent, EnvHttpProxyAgent, type Dispatcher } from "undici";
import { z } from "zod";

/** How long opening a connection (TCP and TLS) to a provider or proxy may take. */
const CONNECT_TIMEOUT_MS = 10_000;

interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

const proxyUrl = (name: string) =>
  z
    .string()
    .trim()
    .refine((value) => value === "" || URL.canParse(value), `${name} must be a URL such as http://proxy.internal:3128`);

const proxyEnvSchema = z.object({ httpProxy: proxyUrl("HTTP_PROXY"), httpsProxy: proxyUrl("HTTPS_PROXY"), noProxy: z.string().trim() });

/**
 * The proxy settings in the environment, as curl and most tools read them: upper or lower case,
 * HTTPS_PROXY falling back to HTTP_PROXY for https:// providers. Empty strings mean no proxy.
 */
export function proxySettingsFromEnv(env: Readonly<Record<string, string | undefined>>): ProxySettings {
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy ?? "";
  const parsed = proxyEnvSchema.safeParse({
    httpProxy,
    httpsProxy: env.HTTPS_PROXY ?? env.https_proxy ?? httpProxy,
    noProxy: env.NO_PROXY ?? env.no_proxy ?? "",
  });
  if (!parsed.success) throw new Error(`Provider proxy settings: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
  return parsed.data;
}

/** The dispatcher provider calls go through: a plain keep-alive pool, or the proxy-aware one. */
export function providerDispatcher(proxy: ProxySettings): Dispatcher {
  const options = {
    connect: { timeout: CONNECT_TIMEOUT_MS },
    // Sockets per provider origin, as the gateway's concurrency may need (Node's default is unbounded).
    connections: 512,
    headersTimeout: 0,
    bodyTimeout: 0,
  };
  if (!proxy.httpProxy && !proxy.httpsProxy) return new Agent(options);
  // A proxy agent opens its own sockets (to the proxy, then the tunnel): the timeout goes to both.
  const proxied: EnvHttpProxyAgent.Options & { proxyTls: { timeout: number }; requestTls: { timeout: number } } = {
    ...options,
    ...proxy,
    proxyTls: { timeout: CONNECT_TIMEOUT_MS },
    requestTls: { timeout: CONNECT_TIMEOUT_MS },
  };
  return new EnvHttpProxyAgent(proxied);
}

/** Response headers that no longer describe a body fetch has already decompressed. */
const encodingHeaders = ["content-encoding", "content-length"];

/**
 * Node's fetch through `dispatcher`. Its failures are fetch's own (connection errors are
 * TypeError("fetch failed"), which the gateway retries; an abort rejects with the signal's reason
 * and errors a body in flight with it). A compressed answer is decoded by fetch; its encoding
 * headers are dropped so that nothing downstream decodes or measures it again.
 */
export function fetchThrough(dispatcher: Dispatcher): typeof fetch {
  return async (input, init = {}) => {
    // `dispatcher` is Node's own extension of RequestInit (undici is Node's fetch).
    const response = await fetch(input, { ...init, dispatcher } as RequestInit);
    if (response.status < 200 || response.status > 599) {
      // A status no Response may carry (a broken server): a failed connection, as the gateway sees it.
      await response.body?.cancel().catch(() => {});
      throw new TypeError("fetch failed", { cause: new RangeError(`the provider answered with status ${response.status}`) });
    }
    if (!response.headers.has("content-encoding")) return response;
    const headers = new Headers(response.headers);
    for (const name of encodingHeaders) headers.delete(name);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

export const providerFetch: typeof fetch = fetchThrough(providerDispatcher(proxySettingsFromEnv(process.env)));
