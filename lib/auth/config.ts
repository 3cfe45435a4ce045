// The part of the Auth.js configuration that needs no database: shared by proxy.ts (which only
// reads the session cookie) and by lib/auth/index.ts (which adds the credentials provider).
import type { NextAuthConfig } from "next-auth";
import type { MemberRole } from "@/db/schema";

declare module "next-auth" {
  interface Session {
    userId: string;
    /** The user_sessions row this sign-in opened (lib/auth/user-sessions.ts); "" on tokens from before it. */
    sessionId: string;
    tenantId: string | null;
    role: MemberRole | null;
  }
  interface User {
    sessionId?: string;
    tenantId?: string | null;
    role?: MemberRole | null;
  }
}

declare module "@auth/core/jwt" {
  interface JWT {
    userId?: string;
    sessionId?: string;
    tenantId?: string | null;
    role?: MemberRole | null;
  }
}

/** Pages behind emailed links are public: the secret in the link is the credential. */
const publicPages = new Set(["/sign-in", "/sign-up", "/forgot-password", "/verify-email", "/two-factor"]);

/** Pages anyone may open; everything else needs a session. API routes answer 401 themselves. */
function isPublicPath(pathname: string): boolean {
  return (
    publicPages.has(pathname) || ["/invite/", "/api/", "/reset-password/", "/verify-email/", "/confirm-email/"].some((prefix) => pathname.startsWith(prefix))
  );
}

export const authConfig = {
  // Auth.js's own errors (a provider that failed or was cancelled) land on the sign-in page too.
  pages: { signIn: "/sign-in", error: "/sign-in" },
  session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
  providers: [],
  callbacks: {
    authorized({ auth, request }) {
      return Boolean(auth?.userId) || isPublicPath(request.nextUrl.pathname);
    },
    session({ session, token }) {
      session.userId = token.userId ?? "";
      session.sessionId = token.sessionId ?? "";
      session.tenantId = token.tenantId ?? null;
      session.role = token.role ?? null;
      return session;
    },
  },
} satisfies NextAuthConfig;
