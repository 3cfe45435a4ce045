// Who may act on a document inside its workspace: re-analyse, cancel, move and delete belong to
// the person who uploaded it and to admins and owners (reading is for every member). Every entry point (server actions, route
// handlers, pages deciding which buttons to show) asks here, so the rule lives in one place.
import type { Document } from "@/db/schema";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";

export type DocumentAction = "reanalyse" | "cancel" | "move" | "delete";

const refusals: Record<DocumentAction, string> = {
  reanalyse: "Only the person who uploaded this document, or an admin, can re-analyse it.",
  cancel: "Only the person who uploaded this document, or an admin, can cancel its analysis.",
  move: "Only the person who uploaded this document, or an admin, can move it.",
  delete: "Only the person who uploaded this document, or an admin, can delete it.",
};

/** True when the caller uploaded the document or is an admin or owner of its workspace. */
export function mayManageDocument(ctx: Pick<TenantContext, "userId" | "role">, document: Pick<Document, "uploadedBy">): boolean {
  return document.uploadedBy === ctx.userId || hasRole(ctx.role, "admin");
}

/** Refuses with 403 and a message naming the action when the caller may not manage the document. */
export function assertMayManageDocument(ctx: Pick<TenantContext, "userId" | "role">, document: Pick<Document, "uploadedBy">, action: DocumentAction): void {
  if (!mayManageDocument(ctx, document)) throw new KeelError("forbidden", refusals[action]);
}
