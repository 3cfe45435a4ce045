// Revocable sign-in sessions. Auth.js keeps its JWT; the token carries the id of a user_sessions
// row, and the guard asks `isSessionActive` on every request. The answer is cached in-process for
// at most SESSION_CHECK_TTL_MS, so a revocation (sign-out, "sign out everywhere", a password
// change) takes effect on every app process within that time, at one indexed lookup per session
// per window rather than one per request.
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import { userSessions } from "@/db/schema";
import { withUser, type ScopeOptions } from "@/db/scope";
import { log } from "@/core/log";

export const SESSION_CHECK_TTL_MS = 2_000;
/** last_seen_at is a hint for the sessions list, not an audit trail: refresh it this rarely. */
const LAST_SEEN_REFRESH_MS = 5 * 60_000;
const USER_AGENT_MAX = 300;

type Options = Pick<ScopeOptions, "db">;

// Keyed by session id; the value says whether it was active when read. Bounded: a flood of forged
// ids cannot grow it without limit (and a forged id fails the JWT signature long before this).
const holder = globalThis as typeof globalThis & { __keelSessionChecks?: LRUCache<string, { active: boolean }> };
const checks = (holder.__keelSessionChecks ??= new LRUCache<string, { active: boolean }>({ max: 50_000, ttl: SESSION_CHECK_TTL_MS }));

export interface SessionOrigin {
  userAgent?: string | null;
  ip?: string | null;
  /** How the person signed in (default: a password); workspace SSO policies read it (lib/auth/sso/). */
  signedInWith?: { method: string; email: string | null };
}

/** Opens a session at sign-in; its id goes into the JWT. */
export async function startSession(userId: string, origin: SessionOrigin = {}, options: Options = {}): Promise<string> {
  const [row] = await withUser(
    userId,
    (tx) =>
      tx
        .insert(userSessions)
        .values({
          userId,
          userAgent: origin.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
          ip: origin.ip?.slice(0, 64) ?? null,
          signInMethod: origin.signedInWith?.method ?? "password",
          signInEmail: origin.signedInWith?.email ?? null,
        })
        .returning({ id: userSessions.id }),
    options,
  );
  return row!.id;
}

/**
 * Whether the session is still good: it exists, belongs to the user and is not revoked. Cached
 * for SESSION_CHECK_TTL_MS. A missing or foreign row reads as revoked.
 */
export async function isSessionActive(userId: string, sessionId: string, options: Options = {}): Promise<boolean> {
  const key = `${userId}:${sessionId}`;
  const cached = checks.get(key);
  if (cached) return cached.active;
  const row = await withUser(
    userId,
    async (tx) => {
      const [found] = await tx
        .select({ revokedAt: userSessions.revokedAt, lastSeenAt: userSessions.lastSeenAt })
        .from(userSessions)
        .where(and(eq(userSessions.id, sessionId), eq(userSessions.userId, userId)));
      return found;
    },
    options,
  );
  const active = Boolean(row && !row.revokedAt);
  if (row && active && Date.now() - row.lastSeenAt.getTime() > LAST_SEEN_REFRESH_MS) void touchLastSeen(userId, sessionId, options);
  checks.set(key, { active });
  return active;
}

/**
 * Refreshes last_seen_at after the request that noticed it is due, not before it: a commit waits
 * for the write-ahead log to reach disk, and behind another workspace's bulk writes (a large
 * document's passages) that can take seconds. Being a hint, it is committed without that wait.
 */
async function touchLastSeen(userId: string, sessionId: string, options: Options): Promise<void> {
  try {
    await withUser(
      userId,
      async (tx) => {
        await tx.execute(sql`set local synchronous_commit = off`);
        await tx
          .update(userSessions)
          .set({ lastSeenAt: new Date() })
          .where(and(eq(userSessions.id, sessionId), eq(userSessions.userId, userId)));
      },
      options,
    );
  } catch (error) {
    log.warn({ err: error }, "could not refresh a session's last-seen time");
  }
}

/** Sign-out: this one session ends. Idempotent. */
export async function revokeSession(userId: string, sessionId: string, options: Options = {}): Promise<void> {
  await withUser(
    userId,
    (tx) =>
      tx
        .update(userSessions)
        .set({ revokedAt: new Date() })
        .where(and(eq(userSessions.id, sessionId), eq(userSessions.userId, userId), isNull(userSessions.revokedAt))),
    options,
  );
  checks.delete(`${userId}:${sessionId}`);
}

/**
 * "Sign out everywhere" and password changes (issue 19.6): every session of the user but `keep`
 * (the one making the change; null ends them all). Other processes notice within the cache TTL.
 * Returns how many were revoked.
 */
export async function revokeOtherSessions(userId: string, keep: string | null, options: Options = {}): Promise<number> {
  const revoked = await withUser(
    userId,
    (tx) =>
      tx
        .update(userSessions)
        .set({ revokedAt: new Date() })
        .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt), keep ? ne(userSessions.id, keep) : undefined))
        .returning({ id: userSessions.id }),
    options,
  );
  for (const { id } of revoked) checks.delete(`${userId}:${id}`);
  return revoked.length;
}
