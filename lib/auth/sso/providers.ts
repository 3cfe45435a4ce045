// The Auth.js providers for the single sign-on settings (lib/auth/sso/sso-settings.ts).
import type { Provider } from "next-auth/providers";
import GitHub from "next-auth/providers/github";
import Google from "next-auth/providers/google";
import MicrosoftEntraID from "next-auth/providers/microsoft-entra-id";
import { readSsoSettings } from "./sso-settings";

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * GitHub's profile email is whatever the person made public, verified or not. Keel asks for the
 * list of addresses instead and keeps only the primary one if GitHub has verified it, so the
 * linking rule (lib/auth/sso/sso-sign-in.ts) can trust `email_verified`.
 */
async function gitHubProfileWithVerifiedEmail({ tokens }: { tokens: { access_token?: string } }): Promise<Record<string, unknown>> {
  const headers = { Authorization: `Bearer ${tokens.access_token}`, "User-Agent": "keel", Accept: "application/vnd.github+json" };
  const profile = (await (await fetch("https://api.github.com/user", { headers })).json()) as Record<string, unknown>;
  const response = await fetch("https://api.github.com/user/emails", { headers });
  const emails = response.ok ? ((await response.json()) as GitHubEmail[]) : [];
  const primary = Array.isArray(emails) ? emails.find((e) => e.primary && e.verified) : undefined;
  return { ...profile, email: primary?.email ?? null, email_verified: Boolean(primary) };
}

/** The Auth.js providers for lib/auth/index.ts. */
export function ssoProviders(env: Record<string, string | undefined> = process.env): Provider[] {
  const settings = readSsoSettings(env);
  const providers: Provider[] = [];
  if (settings.oidc) {
    providers.push({
      id: "oidc",
      name: settings.oidc.name,
      type: "oidc",
      issuer: settings.oidc.issuer,
      clientId: settings.oidc.clientId,
      clientSecret: settings.oidc.clientSecret,
      // Many providers put only `sub` in the ID token and the rest in userinfo (OIDC Core 5.4):
      // read the claims from userinfo, which the library checks against the ID token's subject.
      idToken: false,
      checks: ["pkce", "state", "nonce"],
      authorization: { params: { scope: "openid email profile" } },
    });
  }
  if (settings.google) providers.push(Google({ clientId: settings.google.clientId, clientSecret: settings.google.clientSecret }));
  if (settings.entra) {
    providers.push(
      MicrosoftEntraID({
        clientId: settings.entra.clientId,
        clientSecret: settings.entra.clientSecret,
        ...(settings.entra.issuer ? { issuer: settings.entra.issuer } : {}),
      }),
    );
  }
  if (settings.github) {
    providers.push(
      GitHub({
        clientId: settings.github.clientId,
        clientSecret: settings.github.clientSecret,
        userinfo: { url: "https://api.github.com/user", request: gitHubProfileWithVerifiedEmail },
      }),
    );
  }
  return providers;
}
