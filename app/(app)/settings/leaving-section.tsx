// Settings → Export and delete (owners): the workspace's exports with live progress, and the
// deletion that a typed name confirms. Kept out of the page so its other sections merge freely.
import { AccountForm } from "@/components/auth/account-form";
import { ExportProgress } from "@/components/leaving/export-progress";
import { ActionForm } from "@/components/ui/action-form";
import { formatBytes } from "@/lib/documents/limits";
import { formatDateTime, formatLongDate } from "@/lib/format/dates";
import { listWorkspaceExports } from "@/lib/exports/workspace-exports";
import type { TenantContext } from "@/lib/tenancy/context";
import { deletionGraceDays } from "@/lib/tenancy/workspace-deletion";
import { deleteWorkspaceAction, exportWorkspaceAction } from "./leaving-actions";

export async function LeavingSection({ ctx, workspaceName }: { ctx: TenantContext; workspaceName: string }) {
  const exports = await listWorkspaceExports(ctx);
  const running = exports.some((e) => e.status === "queued" || e.status === "running");
  const graceDays = deletionGraceDays();
  return (
    <>
      <section aria-labelledby="export-heading" className="mt-6 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="export-heading" className="mb-3 text-lg font-semibold">
          Export this workspace
        </h2>
        <p className="mb-3 text-sm text-slate-600">
          A zip of the documents with their original files, their analyses, your conversations, usage and the audit log, each as JSON and CSV. It is kept for 7
          days; a workspace can be exported 3 times a day.
        </p>
        {!running ? (
          <ActionForm
            action={exportWorkspaceAction}
            submitLabel="Export this workspace"
            pendingLabel="Starting…"
            variant="primary"
            label="Export this workspace"
          />
        ) : null}
        {exports.length > 0 ? (
          <ul className="mt-2 divide-y divide-slate-200" data-testid="export-list">
            {exports.map((e) => (
              <ExportProgress
                key={e.id}
                initial={{
                  id: e.id,
                  status: e.status,
                  stage: e.stage,
                  done: e.done,
                  total: e.total,
                  message: e.message,
                  created: formatDateTime(e.createdAt),
                  expires: formatLongDate(e.expiresAt),
                  size: e.bytes === null ? null : formatBytes(e.bytes),
                }}
              />
            ))}
          </ul>
        ) : null}
      </section>

      <section aria-labelledby="delete-workspace-heading" className="mt-6 rounded-lg border border-red-200 bg-white p-4">
        <h2 id="delete-workspace-heading" className="mb-3 text-lg font-semibold text-red-800">
          Delete this workspace
        </h2>
        <p className="mb-3 text-sm text-slate-600">
          Nobody can use it from the moment you confirm.{" "}
          {graceDays > 0 ? `For ${graceDays} day${graceDays === 1 ? "" : "s"} an owner can still restore it; then` : "Then"} its documents, files,
          conversations, usage and members are deleted for good. Export it first if you want to keep anything.
        </p>
        <AccountForm
          action={deleteWorkspaceAction}
          label="Delete this workspace"
          fields={[{ name: "confirmName", label: `Type “${workspaceName}” to confirm`, type: "text", autoComplete: "off" }]}
          submitLabel="Delete this workspace"
          pendingLabel="Deleting…"
        />
      </section>
    </>
  );
}
