// A real OpenID Provider in the test process (oidc-provider from npm, the library many production
// providers are built on), on loopback: Keel signs in against it through Auth.js exactly as it
// would against any other OIDC provider. People sign in on its development login form with their
// login name (any password); `accounts` says what the provider asserts for each. Consent is
// pre-granted, as for a first-party client.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";

interface TestIdentity {
  email: string;
  /** What the provider asserts as `email_verified`. */
  emailVerified: boolean;
  name: string;
}

export interface OidcTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** By login name (the `sub` the provider asserts). Add people before they sign in. */
  accounts: Map<string, TestIdentity>;
  close(): Promise<void>;
}

export async function startOidcProvider(options: { redirectUri: string }): Promise<OidcTestProvider> {
  const accounts = new Map<string, TestIdentity>();
  const clientId = "keel-e2e";
  const clientSecret = randomBytes(24).toString("base64url");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configuration: Configuration = {
    clients: [
      { client_id: clientId, client_secret: clientSecret, redirect_uris: [options.redirectUri], grant_types: ["authorization_code"], response_types: ["code"] },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const identity = accounts.get(sub);
      if (!identity) return undefined;
      return { accountId: sub, claims: () => ({ sub, email: identity.email, email_verified: identity.emailVerified, name: identity.name }) };
    },
    // First-party client: no consent screen, every scope Keel asks for is granted.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const accountId = ctx.oidc.session?.accountId;
      const client = ctx.oidc.client;
      if (!accountId || !client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  // A refused token or userinfo request is why a sign-in failed: say so in the test's output.
  const report = (event: string) => (_ctx: unknown, error: Error & { error_description?: string; error_detail?: string }) =>
    console.error(`oidc test provider: ${event}: ${error.message} (${error.error_description ?? ""}${error.error_detail ? `: ${error.error_detail}` : ""})`);
  provider.on("grant.error", report("grant.error"));
  provider.on("userinfo.error", report("userinfo.error"));
  provider.on("authorization.error", report("authorization.error"));
  provider.on("server_error", report("server_error"));
  server.on("request", provider.callback());

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
