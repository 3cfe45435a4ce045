// Security settings read from the environment. A value that does not parse stops the caller with
// a message naming the variable: silently falling back could trust the wrong address or lift a cap.

export type Env = Record<string, string | undefined>;

function integerSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

/**
 * How many proxies in front of Keel append to X-Forwarded-For (a load balancer, a CDN). 0: Keel
 * faces clients directly and believes only the socket's address.
 */
export function trustedProxyHops(env: Env = process.env): number {
  return integerSetting(env, "KEEL_TRUSTED_PROXY_HOPS", 0, 0, 10);
}

/** How many workspaces one user may own; creating another is refused at the cap. */
export function maxOwnedWorkspaces(env: Env = process.env): number {
  return integerSetting(env, "KEEL_MAX_OWNED_WORKSPACES", 5, 1, 1000);
}
