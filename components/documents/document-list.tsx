"use client";
// The tenant's documents with their analysis state, updated live from /api/live in every open tab:
// uploads appear, stages and progress move, deletions disappear, without a reload.
import Link from "next/link";
import type { ReactNode } from "react";
import { ActionForm } from "@/components/ui/action-form";
import { formatBytes } from "@/lib/documents/limits";
import type { ActionState } from "@/lib/http/action-state";
import { DocumentStatus, type JobState } from "./document-status";
import { useLiveDocuments, type ArrivedDocument } from "./use-live-documents";
import { formatDate } from "@/lib/format/dates";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export interface ListedDocument {
  id: string;
  name: string;
  kind: string;
  sizeBytes: number;
  status: string;
  error: string | null;
  collectionId: string;
  collectionName: string;
  createdAt: string;
  job: (JobState & { id: string }) | null;
  canManage: boolean;
  /** Shown from its live message: its actions come with the page's own row, a moment later. */
  announced?: boolean;
}

const kindLabels: Record<string, string> = { pdf: "PDF", docx: "Word", markdown: "Markdown", text: "Text", html: "HTML" };

interface DocumentListProps {
  documents: ListedDocument[];
  collections: { id: string; name: string }[];
  /** The collection the page is filtered to, if any: documents arriving elsewhere are not shown. */
  selectedCollectionId: string | null;
  actions: { cancel: Action; retry: Action; remove: Action; move: Action };
  /** Shown instead of the table while there is no document. */
  empty: ReactNode;
}

/** A row for a document announced live, until the re-read page brings the real one (with its actions). */
function arrivedRow(document: ArrivedDocument): ListedDocument {
  return { ...document, status: "queued", error: null, job: null, canManage: false, announced: true };
}

export function DocumentList({ documents, collections, selectedCollectionId, actions, empty }: DocumentListProps) {
  const { jobs, deleted, arrived } = useLiveDocuments(documents.map((d) => d.id));
  const listed = new Set(documents.map((d) => d.id));
  const shown = [
    ...arrived.filter((a) => !listed.has(a.id) && (!selectedCollectionId || a.collectionId === selectedCollectionId)).map(arrivedRow),
    ...documents,
  ].filter((d) => !deleted.has(d.id));
  // The list stays mounted while empty: it is what hears that the first document arrived.
  if (shown.length === 0) return <>{empty}</>;

  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-left text-sm">
        <thead className="bg-slate-50 text-slate-600">
          <tr>
            <th className="p-2 font-medium">Document</th>
            <th className="p-2 font-medium">Status</th>
            <th className="hidden p-2 font-medium sm:table-cell">Collection</th>
            <th className="p-2 font-medium">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((d) => {
            const live = jobs[d.id];
            const job = live && (!d.job || live.id === d.job.id || live.status !== "queued") ? live : d.job;
            const running = job && (job.status === "queued" || job.status === "running");
            return (
              <tr key={d.id} className="border-t border-slate-100 align-top" data-testid="document-row" data-document-id={d.id} data-name={d.name}>
                <td className="max-w-72 p-2">
                  <Link href={`/documents/${d.id}`} className="block truncate font-medium text-indigo-700 hover:underline">
                    {d.name}
                  </Link>
                  <span className="text-xs text-slate-500">
                    {kindLabels[d.kind] ?? d.kind} · {formatBytes(d.sizeBytes)} · {formatDate(d.createdAt)}
                  </span>
                </td>
                <td className="p-2">
                  <DocumentStatus documentStatus={d.status} job={job} error={d.error} />
                </td>
                <td className="hidden p-2 text-slate-600 sm:table-cell">{d.collectionName}</td>
                <td className="p-2">
                  <div className="flex flex-wrap justify-end gap-2">
                    {d.announced || !d.canManage ? null : running ? (
                      <ActionForm
                        action={actions.cancel}
                        hidden={{ documentId: d.id }}
                        submitLabel="Cancel"
                        pendingLabel="Cancelling…"
                        label={`Cancel the analysis of ${d.name}`}
                      />
                    ) : d.status === "failed" || d.status === "cancelled" ? (
                      <ActionForm
                        action={actions.retry}
                        hidden={{ documentId: d.id }}
                        submitLabel="Retry"
                        pendingLabel="Starting…"
                        label={`Retry the analysis of ${d.name}`}
                      />
                    ) : null}
                    {d.canManage && collections.length > 1 ? (
                      <ActionForm action={actions.move} hidden={{ documentId: d.id }} submitLabel="Move" pendingLabel="Moving…" label={`Move ${d.name}`}>
                        <select
                          name="collectionId"
                          defaultValue={d.collectionId}
                          aria-label={`Collection for ${d.name}`}
                          className="rounded-md border border-slate-300 px-1 py-1 text-sm"
                        >
                          {collections.map((c) => (
                            <option key={c.id} value={c.id}>
                              {c.name}
                            </option>
                          ))}
                        </select>
                      </ActionForm>
                    ) : null}
                    {d.canManage ? (
                      <ActionForm
                        action={actions.remove}
                        hidden={{ documentId: d.id, from: "list" }}
                        submitLabel="Delete"
                        pendingLabel="Deleting…"
                        variant="danger"
                        confirmMessage={`Delete “${d.name}”? Its analysis, passages and cached answers that cite it are removed too.`}
                        label={`Delete ${d.name}`}
                      />
                    ) : null}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
