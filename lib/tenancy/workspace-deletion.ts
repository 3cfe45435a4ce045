// Deleting a workspace (issue 19.7): an owner schedules it, typing its name; from then it is
// unusable (the guard refuses it, API keys stop) but restorable by an owner until the grace period
// ends (KEEL_WORKSPACE_DELETION_GRACE_DAYS, default 7). Purging it is lib/tenancy/workspace-purge.ts.
// The app role may not write these columns (its grant on tenants is name and slug): each change
// goes through the system path after the guard and these checks have said who may make it.
import { createHash } from "node:crypto";
import { and, eq, gt, isNotNull } from "drizzle-orm";
import { z } from "zod";
import { apiKeys, memberships, platformAuditLog, tenants, type MemberRole, type PlatformAuditAction } from "@/db/schema";
import type { Tx } from "@/db/client";
import { announceInvalidation } from "@/db/invalidation";
import { withSystem, withTenant } from "@/db/scope";
import { admitLeavingAttempt } from "@/lib/auth/leaving-throttle";
import { KeelError } from "@/lib/errors";
import { formatLongDate } from "@/lib/format/dates";
import { recordAudit } from "./audit";
import type { TenantContext } from "./context";

const DAY_MS = 86_400_000;

const graceDaysSchema = z.coerce.number().int().min(0).max(365);

/** Days between scheduling a deletion and the purge; 0 purges at the next cron tick. */
export function deletionGraceDays(env: Record<string, string | undefined> = process.env): number {
  const raw = env.KEEL_WORKSPACE_DELETION_GRACE_DAYS?.trim();
  if (!raw) return 7;
  const parsed = graceDaysSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`KEEL_WORKSPACE_DELETION_GRACE_DAYS must be a whole number of days from 0 to 365, not ${JSON.stringify(raw)}`);
  return parsed.data;
}

interface ScheduledDeletion {
  requestedAt: Date;
  /** When the purge may run; restorable until then. */
  dueAt: Date;
}

/** The caller's role and whether the workspace is scheduled for deletion: what the guard needs, in one query. */
export async function findMembershipAccess(tenantId: string, userId: string): Promise<{ role: MemberRole; deletion: ScheduledDeletion | null } | null> {
  const [row] = await withTenant(
    tenantId,
    (tx) =>
      tx
        .select({ role: memberships.role, requestedAt: tenants.deletionRequestedAt, dueAt: tenants.deletionDueAt })
        .from(memberships)
        .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
        .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId))),
    { userId },
  );
  if (!row) return null;
  return { role: row.role, deletion: row.requestedAt && row.dueAt ? { requestedAt: row.requestedAt, dueAt: row.dueAt } : null };
}

/** What the guard throws for a workspace scheduled for deletion (the pages turn it into the notice). */
export function scheduledForDeletionError(deletion: ScheduledDeletion): KeelError {
  return new KeelError("gone", `This workspace is scheduled for deletion on ${formatLongDate(deletion.dueAt)}. An owner can restore it until then.`);
}

/** The platform's own record: the subject only as a hash, so nothing of a purged workspace stays readable. */
export function subjectHash(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}

export async function recordPlatformAudit(
  tx: Tx,
  entry: { action: PlatformAuditAction; subjectId: string; actorUserId: string | null; metadata?: Record<string, string | number | boolean | null> },
): Promise<void> {
  await tx
    .insert(platformAuditLog)
    .values({ action: entry.action, subjectHash: subjectHash(entry.subjectId), actorUserId: entry.actorUserId, metadata: entry.metadata ?? {} });
}

/**
 * Marks the workspace for deletion inside `tx` (a system transaction) and records it; returns the
 * schedule, or the existing one when it was already scheduled. Shared with account deletion, which
 * schedules a departing person's workspaces that nobody else belongs to.
 */
export async function scheduleDeletionIn(
  tx: Tx,
  tenantId: string,
  actorUserId: string,
  reason: "owner" | "account_deleted",
  now: Date,
): Promise<ScheduledDeletion> {
  const [current] = await tx
    .select({ requestedAt: tenants.deletionRequestedAt, dueAt: tenants.deletionDueAt })
    .from(tenants)
    .where(eq(tenants.id, tenantId))
    .for("update");
  if (!current) throw new KeelError("not_found", "That workspace does not exist.");
  if (current.requestedAt && current.dueAt) return { requestedAt: current.requestedAt, dueAt: current.dueAt };
  const dueAt = new Date(now.getTime() + deletionGraceDays() * DAY_MS);
  await tx.update(tenants).set({ deletionRequestedAt: now, deletionDueAt: dueAt, deletionRequestedBy: actorUserId }).where(eq(tenants.id, tenantId));
  // Every process forgets the workspace's verified API keys now, not when their cache entries expire.
  const keys = await tx.select({ keyHash: apiKeys.keyHash }).from(apiKeys).where(eq(apiKeys.tenantId, tenantId));
  for (const key of keys) await announceInvalidation(tx, "api_key", key.keyHash);
  // The workspace's own log (purged with it) says who asked; the platform's log outlives it.
  await recordAudit(tx, { tenantId, actorUserId, action: "tenant.deletion_scheduled", metadata: { dueAt: dueAt.toISOString(), reason } });
  await recordPlatformAudit(tx, { action: "workspace.deletion_scheduled", subjectId: tenantId, actorUserId, metadata: { dueAt: dueAt.toISOString(), reason } });
  return { requestedAt: now, dueAt };
}

export const deleteWorkspaceSchema = z.object({ confirmName: z.string().trim().min(1, "Type the workspace's name to confirm.").max(200) });

/** An owner schedules the workspace for deletion, having typed its name. */
export async function scheduleWorkspaceDeletion(
  ctx: TenantContext,
  input: z.infer<typeof deleteWorkspaceSchema>,
  now = new Date(),
): Promise<ScheduledDeletion> {
  if (ctx.role !== "owner") throw new KeelError("forbidden", "Only an owner can delete the workspace.");
  await admitLeavingAttempt("deletionPerUser", ctx.userId, "Too many deletion requests.", now);
  return withSystem("workspace deletion: its owner schedules it", async (tx) => {
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, ctx.tenantId));
    if (!tenant) throw new KeelError("not_found", "That workspace does not exist.");
    if (tenant.name.trim() !== input.confirmName) {
      throw new KeelError("invalid_input", "The name does not match.", { confirmName: `Type “${tenant.name}” exactly to confirm.` });
    }
    return scheduleDeletionIn(tx, ctx.tenantId, ctx.userId, "owner", now);
  });
}

/** An owner takes the deletion back, while the grace period lasts (the purge takes what is due). */
export async function restoreWorkspace(ctx: TenantContext, now = new Date()): Promise<void> {
  if (ctx.role !== "owner") throw new KeelError("forbidden", "Only an owner can restore the workspace.");
  await admitLeavingAttempt("restorePerUser", ctx.userId, "Too many restore requests.", now);
  await withSystem("workspace deletion: its owner restores it", async (tx) => {
    const restored = await tx
      .update(tenants)
      .set({ deletionRequestedAt: null, deletionDueAt: null, deletionRequestedBy: null })
      .where(and(eq(tenants.id, ctx.tenantId), isNotNull(tenants.deletionDueAt), gt(tenants.deletionDueAt, now)))
      .returning({ id: tenants.id });
    if (restored.length === 0) throw new KeelError("conflict", "This workspace is not scheduled for deletion, or its grace period has ended.");
    await recordAudit(tx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, action: "tenant.deletion_cancelled" });
    await recordPlatformAudit(tx, { action: "workspace.deletion_cancelled", subjectId: ctx.tenantId, actorUserId: ctx.userId });
  });
}
