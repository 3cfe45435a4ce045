// Sign-in sessions and the live streams opened under them. The session's id travels in the
// Auth.js JWT; the guard refuses a token whose row is revoked (or gone), so a sign-out, a "sign
// out everywhere" or a password change ends the session on every process within seconds.
import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenancy";
import { users } from "./auth";

export const userSessions = pgTable(
  "user_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Refreshed at most every few minutes (lib/auth/user-sessions.ts), not on every request. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    /** Bounded at sign-in: a client chooses this text. */
    userAgent: text("user_agent"),
    ip: text("ip"),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** "password", or the SSO provider's id ("oidc", "google", …): workspace policies read it (lib/auth/sso/). */
    signInMethod: text("sign_in_method").notNull().default("password"),
    /** The address an SSO provider asserted for this sign-in; null for a password. */
    signInEmail: text("sign_in_email"),
  },
  (t) => [index("user_sessions_user_id_idx").on(t.userId)],
);
export type UserSession = typeof userSessions.$inferSelect;
export type NewUserSession = typeof userSessions.$inferInsert;

/**
 * One row per open `/api/live` stream, so the per-person cap holds across app processes. A row is
 * a lease: its process renews it while the stream is open and deletes it on close; a process that
 * died leaves rows that stop counting once `expiresAt` passes.
 */
export const liveStreams = pgTable(
  "live_streams",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => userSessions.id, { onDelete: "cascade" }),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    openedAt: timestamp("opened_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("live_streams_user_id_idx").on(t.userId)],
);
export type LiveStream = typeof liveStreams.$inferSelect;
