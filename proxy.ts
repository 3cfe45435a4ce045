// Sends anonymous visitors to sign-in before any page renders. It only reads the session cookie;
// every page, action and route handler still runs the tenant guard itself.
import NextAuth from "next-auth";
import { authConfig } from "@/lib/auth/config";

const { auth } = NextAuth(authConfig);

export default auth;

export const config = {
  // Pages only: route handlers under /api answer 401/403 themselves (and /api/v1 is hot). Server
  // action calls (POSTs with a Next-Action header) skip it too: each action runs the tenant guard
  // itself, so a redirect here added no protection, while decoding and re-issuing the session
  // cookie cost a chat answer ~10 ms before it started (README, "Chat benchmark"). Router
  // prefetches skip it as well: whatever a prefetch renders runs its layout's and page's own guard,
  // and a prefetch sent before a sign-out and answered after it would otherwise re-issue the
  // revoked session's cookie over the cleared one, or over the next sign-in's.
  matcher: [
    {
      source: "/((?!api/|_next/static|_next/image|favicon.ico|.*\\.(?:svg|png|jpg|ico|webp)$).*)",
      missing: [
        { type: "header", key: "next-action" },
        { type: "header", key: "next-router-prefetch" },
      ],
    },
  ],
};
