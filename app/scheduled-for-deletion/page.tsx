import Link from "next/link";
import { redirect } from "next/navigation";
import type { Metadata } from "next";
import { ActionForm } from "@/components/ui/action-form";
import { formatLongDate } from "@/lib/format/dates";
import { tenantPage } from "@/lib/http/guarded-page";
import { getTenant } from "@/lib/tenancy/tenants";
import { findMembershipAccess } from "@/lib/tenancy/workspace-deletion";
import { signOutAction } from "../(app)/actions";
import { restoreWorkspaceAction } from "./actions";

export const metadata: Metadata = { title: "Workspace scheduled for deletion" };

/** Where every page of a workspace scheduled for deletion leads: the date, and for owners the way back. */
export default tenantPage({ role: "member", whileScheduledForDeletion: true }, async (ctx) => {
  const [tenant, access] = await Promise.all([getTenant(ctx), findMembershipAccess(ctx.tenantId, ctx.userId)]);
  // Restored meanwhile (by another owner): back to work.
  if (!access?.deletion) redirect("/chat");
  return (
    <main className="mx-auto w-full max-w-xl px-4 py-10" data-testid="scheduled-for-deletion">
      <h1 className="text-2xl font-semibold">{tenant.name} is scheduled for deletion</h1>
      <p className="mt-3 text-sm text-slate-700">
        It will be deleted for good on <strong data-testid="deletion-date">{formatLongDate(access.deletion.dueAt)}</strong>, with its documents, conversations,
        usage and files. Until then nobody can use it.
      </p>
      {ctx.role === "owner" ? (
        <div className="mt-6">
          <ActionForm
            action={restoreWorkspaceAction}
            submitLabel="Restore this workspace"
            pendingLabel="Restoring…"
            variant="primary"
            label="Restore workspace"
          />
        </div>
      ) : (
        <p className="mt-6 text-sm text-slate-700">Ask an owner of {tenant.name} to restore it if it should stay.</p>
      )}
      <p className="mt-8 text-sm">
        <Link href="/workspaces" className="font-medium text-indigo-700 underline">
          Your other workspaces
        </Link>
      </p>
      <form action={signOutAction} className="mt-4">
        <button type="submit" className="text-sm text-slate-700 underline">
          Sign out
        </button>
      </form>
    </main>
  );
});
