// Auth.js v5 with email + password. The JWT carries user id, session id, active tenant and role;
// the guard checks the session row (revocable, lib/auth/user-sessions.ts) and re-reads the
// membership on every request, so a sign-out or a removal takes effect at once.
import NextAuth, { CredentialsSignin } from "next-auth";
import { cookies } from "next/headers";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { isKeelError } from "@/lib/errors";
import { findMembershipRole } from "@/lib/tenancy/members";
import { authenticate } from "./authenticate";
import { authConfig } from "./config";
import { clientIp } from "./client-ip";
import { revokeSession, startSession } from "./user-sessions";
import { knownDeviceCookie, knownDeviceLifetimeMs, knownDeviceTokenFromCookies } from "./known-device";
import { log } from "@/core/log";
import { requireSecondStep, twoFactorProviders } from "./two-factor/providers";
import { ssoProviders } from "./sso/providers";
import { admitProviderSignIn } from "./sso/provider-sign-in-callback";

/** Carries our message through Auth.js, which otherwise reports every failure the same way. */
class SignInRefused extends CredentialsSignin {
  constructor(code: "invalid_credentials" | "rate_limited" | "email_unverified" | "second_factor_required") {
    super();
    this.code = code;
  }
}

const credentialsSchema = z.object({ email: z.string().max(254), password: z.string().max(200) });
const switchTenantSchema = z.object({ tenantId: z.uuid() });

/** Remembers this browser as one that signed in to the account (see lib/auth/known-device.ts). */
async function rememberKnownDevice(token: string, request: Request): Promise<void> {
  try {
    (await cookies()).set(knownDeviceCookie, token, {
      httpOnly: true,
      sameSite: "lax",
      secure: new URL(request.url).protocol === "https:",
      path: "/",
      maxAge: Math.floor(knownDeviceLifetimeMs / 1000),
    });
  } catch (error) {
    // Outside a request that may set cookies the sign-in still stands, only unremembered.
    log.warn({ err: error }, "auth: could not set the known-device cookie");
  }
}

export const {
  handlers,
  auth,
  signIn,
  signOut,
  unstable_update: updateSession,
} = NextAuth({
  ...authConfig,
  logger: {
    // A refused sign-in is an expected outcome, already counted by the throttle: no stack trace.
    error(error) {
      if (error.name === "CredentialsSignin" || (error as { type?: string }).type === "CredentialsSignin") return;
      // Auth.js wraps the real failure (a provider's answer, a check that failed) in `cause.err`.
      const cause = (error as { cause?: { err?: unknown } }).cause?.err;
      log.error({ err: error, cause: cause instanceof Error ? { message: cause.message, name: cause.name, stack: cause.stack } : cause }, "auth error");
    },
  },
  providers: [
    Credentials({
      credentials: { email: { type: "email" }, password: { type: "password" } },
      async authorize(credentials, request) {
        const parsed = credentialsSchema.safeParse(credentials);
        if (!parsed.success) throw new SignInRefused("invalid_credentials");
        try {
          const user = await authenticate(parsed.data.email, parsed.data.password, {
            ip: clientIp(request.headers),
            knownDeviceToken: knownDeviceTokenFromCookies(request.headers.get("cookie")),
          });
          if (user.knownDeviceToken) await rememberKnownDevice(user.knownDeviceToken, request);
          // An account with a second factor is not signed in yet: the second step is bound to this attempt.
          if (await requireSecondStep(user.id, request)) throw new SignInRefused("second_factor_required");
          const sessionId = await startSession(user.id, { userAgent: request.headers.get("user-agent"), ip: clientIp(request.headers) });
          return { id: user.id, email: user.email, name: user.name, tenantId: user.tenantId, role: user.role, sessionId };
        } catch (error) {
          if (error instanceof SignInRefused) throw error;
          if (isKeelError(error) && error.code === "rate_limited") throw new SignInRefused("rate_limited");
          if (isKeelError(error) && error.code === "forbidden") throw new SignInRefused("email_unverified");
          if (isKeelError(error)) throw new SignInRefused("invalid_credentials");
          throw error;
        }
      },
    }),
    ...twoFactorProviders,
    // Google, GitHub, Microsoft Entra ID and a generic OIDC provider, each only when configured.
    ...ssoProviders(),
  ],
  events: {
    // Sign-out ends the session row too: a copy of the JWT kept elsewhere no longer works.
    async signOut(message) {
      const token = "token" in message ? message.token : null;
      if (token?.userId && token.sessionId) await revokeSession(token.userId, token.sessionId);
    },
  },
  callbacks: {
    ...authConfig.callbacks,
    // SSO sign-ins are found, linked or created here (lib/auth/sso/), and open their session.
    signIn: admitProviderSignIn,
    async jwt({ token, user, trigger, session }) {
      if (user?.id) {
        token.userId = user.id;
        // A provider that does not open the session itself (none yet besides credentials) gets one here.
        token.sessionId = user.sessionId ?? (await startSession(user.id));
        token.tenantId = user.tenantId ?? null;
        token.role = user.role ?? null;
      }
      // Switching tenant: accepted only for a tenant the user really belongs to.
      if (trigger === "update" && token.userId) {
        const wanted = switchTenantSchema.safeParse(session);
        if (wanted.success) {
          const role = await findMembershipRole(wanted.data.tenantId, token.userId);
          if (role) {
            token.tenantId = wanted.data.tenantId;
            token.role = role;
          }
        }
      }
      return token;
    },
  },
});
