// Appends to the tenant's audit log inside the caller's transaction, so the record and the
// change it describes commit or roll back together.
import { auditLog, type NewAuditEntry } from "@/db/schema";
import type { Tx } from "@/db/client";

export type AuditAction =
  | "tenant.created"
  | "tenant.renamed"
  | "tenant.plan_changed"
  | "tenant.deletion_scheduled"
  | "tenant.deletion_cancelled"
  | "tenant.export_requested"
  | "member.account_deleted"
  | "invitation.created"
  | "invitation.revoked"
  | "invitation.resent"
  | "invitation.accepted"
  | "member.role_changed"
  | "member.removed"
  | "member.left"
  | "api_key.created"
  | "api_key.revoked"
  | "ai_settings.changed"
  | "ai_settings.webhook_secret_created"
  | "ai_settings.webhook_secret_rotated"
  | "collection.created"
  | "collection.renamed"
  | "collection.deleted"
  | "document.moved"
  | "embeddings.reembed_requested"
  | "embeddings.reembed_rolled_back"
  | "sso_policy.changed"
  | "security.two_factor_required"
  | "security.two_factor_optional";

export async function recordAudit(tx: Tx, entry: Omit<NewAuditEntry, "id" | "createdAt" | "action"> & { action: AuditAction }): Promise<void> {
  await tx.insert(auditLog).values(entry);
}
