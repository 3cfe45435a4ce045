// The sessions list on the account page (issue 19.6): one's own active sessions, newest first,
// with the device read from the user agent it signed in with.
import Bowser from "bowser";
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { userSessions } from "@/db/schema";
import { withUser } from "@/db/scope";

const sessionLifetimeMs = 30 * 24 * 60 * 60_000;

export interface ActiveSession {
  id: string;
  device: string;
  ip: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  current: boolean;
}

/** "Chrome 140 on Linux", or a plain fallback for an empty or unreadable user agent. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent?.trim()) return "Unknown device";
  const { browser, os, platform } = Bowser.parse(userAgent);
  const name = browser.name ? `${browser.name}${browser.version ? ` ${browser.version.split(".")[0]}` : ""}` : "Unknown browser";
  const system = os.name ? `${os.name}${platform.type && platform.type !== "desktop" ? ` (${platform.type})` : ""}` : null;
  return system ? `${name} on ${system}` : name;
}

export async function listActiveSessions(userId: string, currentSessionId: string): Promise<ActiveSession[]> {
  const rows = await withUser(userId, (tx) =>
    tx
      .select()
      .from(userSessions)
      // A session unseen for longer than a JWT lives (30 days) cannot come back: not worth listing.
      .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt), gt(userSessions.lastSeenAt, new Date(Date.now() - sessionLifetimeMs))))
      .orderBy(desc(userSessions.lastSeenAt))
      .limit(100),
  );
  return rows.map((row) => ({
    id: row.id,
    device: describeDevice(row.userAgent),
    ip: row.ip,
    createdAt: row.createdAt,
    lastSeenAt: row.lastSeenAt,
    current: row.id === currentSessionId,
  }));
}
