import Link from "next/link";
import type { Metadata } from "next";
import { ActionForm } from "@/components/ui/action-form";
import { SingleFieldForm } from "@/components/ui/single-field-form";
import { findOperator } from "@/lib/auth/operator";
import { roleLabels } from "@/lib/tenancy/roles";
import { listTenantsOfUser } from "@/lib/tenancy/tenants";
import { createWorkspaceAction, signOutAction, switchTenantAction } from "../(app)/actions";
import { userPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Workspaces" };

/** Reached when the user has no usable active workspace, or wants another one. */
export default userPage(async ({ userId, tenantId }) => {
  const [tenants, operator] = await Promise.all([listTenantsOfUser(userId), findOperator(userId)]);
  return (
    <main className="mx-auto w-full max-w-xl px-4 py-10">
      <h1 className="text-2xl font-semibold">Your workspaces</h1>
      {tenants.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">You are not a member of any workspace right now. Create one, or open an invitation link you were sent.</p>
      ) : (
        <ul className="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
          {tenants.map((tenant) => (
            <li key={tenant.id} className="flex flex-wrap items-center justify-between gap-2 p-4">
              <span>
                <span className="font-medium">{tenant.name}</span> <span className="text-sm text-slate-500">· {roleLabels[tenant.role]}</span>
              </span>
              {tenant.id === tenantId ? (
                <Link href="/chat" className="text-sm font-medium text-indigo-700 underline">
                  Current — open
                </Link>
              ) : (
                <ActionForm action={switchTenantAction} hidden={{ tenantId: tenant.id }} submitLabel="Open" label={`Open ${tenant.name}`} />
              )}
            </li>
          ))}
        </ul>
      )}
      <section aria-labelledby="new-workspace" className="mt-8 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="new-workspace" className="mb-3 text-lg font-semibold">
          Create a workspace
        </h2>
        <SingleFieldForm action={createWorkspaceAction} name="workspaceName" label="Workspace name" submitLabel="Create workspace" pendingLabel="Creating…" />
      </section>
      {operator ? (
        <p className="mt-6 text-sm">
          <Link href="/operator" className="font-medium text-indigo-700 underline">
            Operator: plans and usage of every workspace
          </Link>
        </p>
      ) : null}
      <form action={signOutAction} className="mt-6">
        <button type="submit" className="text-sm text-slate-700 underline">
          Sign out
        </button>
      </form>
    </main>
  );
});
