// The Auth.js side of two factors: two Credentials providers beside the password one, and the hook
// the password provider calls after the right password. "two-factor" answers the second step
// (the browser's cookie says which attempt; nothing it sends names a user); "passkey" signs in
// with a passkey alone. Both open a user_sessions row, as a password sign-in does.
import { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { cookies } from "next/headers";
import { z } from "zod";
import { withSystem } from "@/db/scope";
import { isKeelError } from "@/lib/errors";
import { log } from "@/core/log";
import { clientIp } from "../client-ip";
import { startSession } from "../user-sessions";
import { challengeLifetimeMs, openSecondStep, passkeySignInCookie, secondStepCookie } from "./challenges";
import { hasSecondFactor } from "./factors";
import { answerSecondStep, finishPasskeySignIn } from "./second-step";
import { findSignInUser } from "./sign-in-user";

/** The codes a refusal carries through Auth.js to lib/auth/two-factor/sign-in-actions.ts. */
export type TwoFactorRefusal = "second_step_expired" | "wrong_code" | "wrong_passkey" | "rate_limited" | "email_unverified";

class TwoFactorRefused extends CredentialsSignin {
  constructor(code: TwoFactorRefusal) {
    super();
    this.code = code;
  }
}

function readCookie(cookieHeader: string | null, name: string): string | null {
  for (const part of (cookieHeader ?? "").split(";")) {
    const [key, ...value] = part.split("=");
    if (key?.trim() === name) return value.join("=").trim() || null;
  }
  return null;
}

/** Sets (or, with null, clears) one of the two-factor cookies: HttpOnly, for this step only. */
export async function setStepCookie(name: string, token: string | null, secure: boolean): Promise<void> {
  const jar = await cookies();
  if (token === null) jar.delete(name);
  else jar.set(name, token, { httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: Math.floor(challengeLifetimeMs / 1000) });
}

/**
 * After the right password: whether the account needs its second step. If so, the step is opened
 * and its secret set as a cookie; the password provider then refuses with "second_factor_required".
 */
export async function requireSecondStep(userId: string, request: Request): Promise<boolean> {
  const needed = await withSystem("sign-in: does this account have a second factor", (tx) => hasSecondFactor(tx, userId));
  if (!needed) return false;
  const { token } = await openSecondStep(userId);
  await setStepCookie(secondStepCookie, token, new URL(request.url).protocol === "https:");
  return true;
}

async function openSession(userId: string, request: Request) {
  const user = await findSignInUser(userId);
  const sessionId = await startSession(user.id, { userAgent: request.headers.get("user-agent"), ip: clientIp(request.headers) });
  return { id: user.id, email: user.email, name: user.name, tenantId: user.tenantId, role: user.role, sessionId };
}

function refusalFor(error: unknown, fallback: TwoFactorRefusal): TwoFactorRefused {
  if (isKeelError(error) && error.code === "rate_limited") return new TwoFactorRefused("rate_limited");
  if (isKeelError(error) && error.code === "forbidden") return new TwoFactorRefused("email_unverified");
  if (isKeelError(error) && error.code === "gone") return new TwoFactorRefused("second_step_expired");
  return new TwoFactorRefused(fallback);
}

const secondStepSchema = z.object({ code: z.string().max(64).optional(), passkey: z.string().max(64_000).optional() });
const passkeySchema = z.object({ passkey: z.string().min(1).max(64_000) });

export const twoFactorProviders = [
  Credentials({
    id: "two-factor",
    name: "Second step",
    credentials: { code: { type: "text" }, passkey: { type: "text" } },
    async authorize(credentials, request) {
      const parsed = secondStepSchema.safeParse(credentials);
      if (!parsed.success) throw new TwoFactorRefused("wrong_code");
      const token = readCookie(request.headers.get("cookie"), secondStepCookie);
      try {
        const userId = await answerSecondStep({
          token,
          code: parsed.data.code || undefined,
          passkey: parsed.data.passkey || undefined,
          address: clientIp(request.headers),
        });
        await setStepCookie(secondStepCookie, null, false);
        return await openSession(userId, request);
      } catch (error) {
        if (!isKeelError(error)) throw error;
        log.info({ code: error.code }, "two-factor: second step refused");
        throw refusalFor(error, parsed.data.passkey ? "wrong_passkey" : "wrong_code");
      }
    },
  }),
  Credentials({
    id: "passkey",
    name: "Passkey",
    credentials: { passkey: { type: "text" } },
    async authorize(credentials, request) {
      const parsed = passkeySchema.safeParse(credentials);
      if (!parsed.success) throw new TwoFactorRefused("wrong_passkey");
      const token = readCookie(request.headers.get("cookie"), passkeySignInCookie);
      try {
        const userId = await finishPasskeySignIn({ token, passkey: parsed.data.passkey, address: clientIp(request.headers) });
        await setStepCookie(passkeySignInCookie, null, false);
        return await openSession(userId, request);
      } catch (error) {
        if (!isKeelError(error)) throw error;
        throw refusalFor(error, "wrong_passkey");
      }
    },
  }),
];
