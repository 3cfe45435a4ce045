// Auth.js's signIn callback for the SSO providers: runs once the provider has answered, before
// the session cookie is written. It finds, links or creates the Keel user (lib/auth/sso/sso-sign-in.ts)
// and rewrites Auth.js's user to that one, so the jwt callback puts Keel's ids in the token. A
// refusal sends the browser back to the sign-in page with the reason.
import { headers } from "next/headers";
import type { Account, Profile, User } from "next-auth";
import { log } from "@/core/log";
import { clientIp } from "../client-ip";
import { providerIdentity } from "./provider-identity";
import { signInWithProvider, ssoRefusalOf } from "./sso-sign-in";

export async function admitProviderSignIn({ user, account, profile }: { user: User; account?: Account | null; profile?: Profile }): Promise<boolean | string> {
  // Credentials, passkeys and anything else that is not an OAuth/OIDC provider are not ours to judge.
  if (!account || (account.type !== "oauth" && account.type !== "oidc")) return true;
  const identity = providerIdentity(account.provider, account.providerAccountId, profile);
  if (!identity) return "/sign-in?sso=failed";
  const requestHeaders = await headers();
  try {
    const signedIn = await signInWithProvider(identity, { ip: clientIp(requestHeaders), userAgent: requestHeaders.get("user-agent") });
    // Without a database adapter Auth.js hands this same object to the jwt callback.
    Object.assign(user, {
      id: signedIn.userId,
      email: signedIn.email,
      name: signedIn.name,
      sessionId: signedIn.sessionId,
      tenantId: signedIn.tenantId,
      role: signedIn.role,
    });
    log.info({ provider: identity.provider, userId: signedIn.userId, outcome: signedIn.outcome }, "sso: signed in");
    return true;
  } catch (error) {
    const refusal = ssoRefusalOf(error);
    if (refusal) {
      log.info({ provider: identity.provider, refusal }, "sso: sign-in refused");
      return `/sign-in?sso=${refusal}`;
    }
    log.error({ err: error, provider: identity.provider }, "sso: sign-in failed");
    return "/sign-in?sso=failed";
  }
}
