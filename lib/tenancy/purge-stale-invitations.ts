// Nightly clean-up across all tenants: unused invitations that expired long ago. Recent ones stay,
// so an old link still explains that it expired instead of claiming it never existed.
import { and, isNull, lt, sql } from "drizzle-orm";
import { invitations } from "@/db/schema";
import type { Db } from "@/db/client";
import { withSystem } from "@/db/scope";

export const invitationRetentionDays = 30;

export async function purgeStaleInvitations(now = new Date(), options: { db?: Db } = {}): Promise<number> {
  const cutoff = new Date(now.getTime() - invitationRetentionDays * 86_400_000);
  const deleted = await withSystem(
    "cron: purge stale invitations in every tenant",
    (tx) =>
      tx
        .delete(invitations)
        .where(and(isNull(invitations.acceptedAt), lt(invitations.expiresAt, sql`${cutoff.toISOString()}::timestamptz`)))
        .returning({ id: invitations.id }),
    options,
  );
  return deleted.length;
}
