// The tenant's audit log for owners and admins: newest first, filtered by action, actor and date
// range, paged by a keyset cursor on (created_at, id) so every page is an index range scan.
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { AuditEntry } from "@/db/schema";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "./context";
import { hasRole } from "./roles";

const emptyToUndefined = (value: unknown) => (value === "" || value === null ? undefined : value);
const day = z.preprocess(emptyToUndefined, z.iso.date("Use a date (YYYY-MM-DD).").optional());

export const auditFilterSchema = z.object({
  action: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[a-z_]+\.[a-z_]+$/, "Unknown action.")
      .optional(),
  ),
  actor: z.preprocess(emptyToUndefined, z.uuid("Unknown person.").optional()),
  from: day,
  to: day,
  /** `<created_at ISO>_<id>` of the last entry of the previous page. */
  before: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z_[0-9a-f-]{36}$/, "Invalid page.")
      .optional(),
  ),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

export interface AuditLogEntry extends Pick<AuditEntry, "id" | "action" | "actorUserId" | "targetType" | "targetId" | "metadata" | "createdAt"> {
  /** Null: the actor's account is gone or no longer a member (its name is not the tenant's to see). */
  actorName: string | null;
}

export interface AuditLogPage {
  entries: AuditLogEntry[];
  /** Pass as `before` for the next, older page; null on the last page. */
  nextCursor: string | null;
}

function requireAuditAccess(ctx: TenantContext): void {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "The audit log is visible to owners and admins only.");
}

interface EntryRow {
  id: string;
  action: string;
  actor_user_id: string | null;
  actor_name: string | null;
  target_type: string | null;
  target_id: string | null;
  metadata: AuditEntry["metadata"] | string;
  created_at: Date | string;
  /** created_at to the microsecond (a JS Date keeps milliseconds): the cursor must not skip rows. */
  cursor_at: string;
}

export async function listAuditEntries(ctx: TenantContext, filter: AuditFilter, pageSize = 50): Promise<AuditLogPage> {
  requireAuditAccess(ctx);
  const [cursorAt, cursorId] = filter.before ? (filter.before.split("_") as [string, string]) : [null, null];
  const rows = await withTenant(
    ctx.tenantId,
    (tx) =>
      rawRows<EntryRow>(
        tx,
        sql`select a.id, a.action, a.actor_user_id, u.name as actor_name, a.target_type, a.target_id, a.metadata, a.created_at,
                   to_char(a.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
            from audit_log a left join users u on u.id = a.actor_user_id
            where a.tenant_id = ${ctx.tenantId}::uuid
              ${filter.action ? sql`and a.action = ${filter.action}` : sql``}
              ${filter.actor ? sql`and a.actor_user_id = ${filter.actor}::uuid` : sql``}
              ${filter.from ? sql`and a.created_at >= (${filter.from}::date)::timestamp at time zone 'UTC'` : sql``}
              ${filter.to ? sql`and a.created_at < (${filter.to}::date + 1)::timestamp at time zone 'UTC'` : sql``}
              ${cursorAt ? sql`and (a.created_at, a.id) < (${cursorAt}::timestamptz, ${cursorId}::uuid)` : sql``}
            order by a.created_at desc, a.id desc
            limit ${pageSize + 1}`,
      ),
    { userId: ctx.userId },
  );
  const page = rows.slice(0, pageSize);
  const entries = page.map((r) => ({
    id: r.id,
    action: r.action,
    actorUserId: r.actor_user_id,
    actorName: r.actor_name,
    targetType: r.target_type,
    targetId: r.target_id,
    metadata: typeof r.metadata === "string" ? (JSON.parse(r.metadata) as AuditEntry["metadata"]) : r.metadata,
    createdAt: new Date(r.created_at),
  }));
  const last = page.at(-1);
  return { entries, nextCursor: rows.length > pageSize && last ? `${last.cursor_at}_${last.id}` : null };
}

/** The actions this tenant's log holds, for the filter (one index probe per distinct action). */
export async function listAuditActions(ctx: TenantContext): Promise<string[]> {
  requireAuditAccess(ctx);
  const rows = await withTenant(
    ctx.tenantId,
    (tx) =>
      rawRows<{ action: string }>(
        tx,
        sql`with recursive a(action) as (
              select min(action) from audit_log where tenant_id = ${ctx.tenantId}::uuid
              union all
              select (select min(action) from audit_log where tenant_id = ${ctx.tenantId}::uuid and action > a.action) from a where a.action is not null)
            select action from a where action is not null`,
      ),
    { userId: ctx.userId },
  );
  return rows.map((r) => r.action);
}
