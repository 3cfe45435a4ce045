// Leaving with your data (migration 0083): a workspace's exports, and the platform's own record of
// deleted workspaces and accounts, which outlives them and names them only by a hash.
import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { jobs } from "./jobs";
import { tenants } from "./tenancy";

/** One export: its progress is the job's; the zip's key and size once written; gone after `expiresAt`. */
export const workspaceExports = pgTable(
  "workspace_exports",
  {
    jobId: uuid("job_id")
      .primaryKey()
      .references(() => jobs.id, { onDelete: "cascade" }),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    storageKey: text("storage_key"),
    bytes: bigint("bytes", { mode: "number" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("workspace_exports_tenant_created_idx").on(t.tenantId, t.createdAt), index("workspace_exports_expires_idx").on(t.expiresAt)],
);
export type WorkspaceExport = typeof workspaceExports.$inferSelect;

export const platformAuditActions = ["workspace.deletion_scheduled", "workspace.deletion_cancelled", "workspace.purged", "account.deleted"] as const;
export type PlatformAuditAction = (typeof platformAuditActions)[number];

/** Append-only, system path only. `subjectHash` is the sha256 of the workspace's or account's id. */
export const platformAuditLog = pgTable(
  "platform_audit_log",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    action: text("action", { enum: platformAuditActions }).notNull(),
    subjectHash: text("subject_hash").notNull(),
    actorUserId: uuid("actor_user_id").references(() => users.id, { onDelete: "set null" }),
    metadata: jsonb("metadata").$type<Record<string, string | number | boolean | null>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("platform_audit_log_subject_idx").on(t.subjectHash, t.createdAt)],
);
