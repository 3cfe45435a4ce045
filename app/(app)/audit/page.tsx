import Link from "next/link";
import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui/empty-state";
import { auditFilterSchema, listAuditActions, listAuditEntries, type AuditFilter } from "@/lib/tenancy/audit-log";
import { describeAuditEntry } from "@/lib/tenancy/describe-audit-entry";
import { listMembers } from "@/lib/tenancy/members";
import { formatDateTimeSeconds } from "@/lib/format/dates";
import { tenantPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Audit log" };

const input = "rounded-md border border-slate-300 bg-white px-3 py-2 text-base";
const label = "flex flex-col gap-1 text-sm font-medium text-slate-800";

type SearchParams = Record<string, string | string[] | undefined>;

function queryOf(filter: AuditFilter, before?: string): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filter, before })) if (value) params.set(key, value);
  return params.toString();
}

export default tenantPage({ role: "admin" }, async (ctx, { searchParams }: { searchParams: Promise<SearchParams> }) => {
  const raw = await searchParams;
  const parsed = auditFilterSchema.safeParse(Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value])));
  const filter: AuditFilter = parsed.success ? parsed.data : {};
  const [page, actions, members] = await Promise.all([listAuditEntries(ctx, filter), listAuditActions(ctx), listMembers(ctx)]);
  const { before: _before, ...filterOnly } = filter;

  return (
    <>
      <PageHeader title="Audit log" description="Who changed what in this workspace, newest first. Times in UTC." />
      <form method="get" className="mb-6 flex flex-wrap items-end gap-3" aria-label="Filter the audit log">
        <label className={label}>
          Action
          <select name="action" defaultValue={filter.action ?? ""} className={input}>
            <option value="">All actions</option>
            {actions.map((action) => (
              <option key={action} value={action}>
                {describeAuditEntry({ action, metadata: {} }).title}
              </option>
            ))}
          </select>
        </label>
        <label className={label}>
          Person
          <select name="actor" defaultValue={filter.actor ?? ""} className={input}>
            <option value="">Anyone</option>
            {members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.name} ({m.email})
              </option>
            ))}
          </select>
        </label>
        <label className={label}>
          From
          <input type="date" name="from" defaultValue={filter.from ?? ""} className={input} />
        </label>
        <label className={label}>
          To
          <input type="date" name="to" defaultValue={filter.to ?? ""} className={input} />
        </label>
        <button
          type="submit"
          className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600"
        >
          Filter
        </button>
        {Object.keys(filterOnly).length > 0 ? (
          <Link href="/audit" className="py-2 text-sm font-medium text-indigo-700 underline">
            Clear
          </Link>
        ) : null}
      </form>
      {!parsed.success ? (
        <p role="alert" className="mb-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900">
          {parsed.error.issues[0]?.message ?? "Invalid filter."} Showing everything instead.
        </p>
      ) : null}
      {page.entries.length === 0 ? (
        <EmptyState title="No entries">Nothing in the log matches these filters.</EmptyState>
      ) : (
        <ol className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" data-testid="audit-entries">
          {page.entries.map((entry) => {
            const { title, details } = describeAuditEntry(entry);
            return (
              <li key={entry.id} className="p-3 text-sm" data-testid="audit-entry">
                <p>
                  <span className="font-medium">{title}</span>{" "}
                  <span className="text-slate-600">
                    by {entry.actorName ?? (entry.actorUserId ? "a former member" : "Keel")} · {formatDateTimeSeconds(entry.createdAt)}
                  </span>
                </p>
                {details.length > 0 ? (
                  <ul className="mt-1 text-slate-700">
                    {details.map((detail) => (
                      <li key={detail}>{detail}</li>
                    ))}
                  </ul>
                ) : null}
              </li>
            );
          })}
        </ol>
      )}
      {page.nextCursor ? (
        <p className="mt-4 text-sm">
          <Link href={`/audit?${queryOf(filterOnly, page.nextCursor)}`} className="font-medium text-indigo-700 underline">
            Older entries
          </Link>
        </p>
      ) : null}
    </>
  );
});
