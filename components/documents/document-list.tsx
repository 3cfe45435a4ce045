"use client";
// The tenant's documents with their analysis state, updated live from /api/live: a job's stage
// and progress move as it runs, and when it ends the page refetches the document's final state.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useLiveMessages } from "@/components/live/live-updates";
import { ActionForm } from "@/components/ui/action-form";
import { formatBytes } from "@/lib/documents/limits";
import type { ActionState } from "@/lib/http/action-state";
import { DocumentStatus, type JobState } from "./document-status";
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
  canDelete: boolean;
}

const kindLabels: Record<string, string> = { pdf: "PDF", docx: "Word", markdown: "Markdown", text: "Text", html: "HTML" };

interface DocumentListProps {
  documents: ListedDocument[];
  collections: { id: string; name: string }[];
  actions: { cancel: Action; retry: Action; remove: Action; move: Action };
}

export function DocumentList({ documents, collections, actions }: DocumentListProps) {
  const router = useRouter();
  const [jobs, setJobs] = useState<Record<string, JobState & { id: string }>>({});

  useLiveMessages((message) => {
    if (message.type !== "job" || !message.documentId) return;
    const { documentId } = message;
    setJobs((all) => {
      const known = all[documentId];
      // Messages can arrive out of order across processes: never step back from a newer state.
      if (known && known.id === message.jobId && ["succeeded", "failed", "cancelled"].includes(known.status)) return all;
      return {
        ...all,
        [documentId]: { id: message.jobId, status: message.status, stage: message.stage, done: message.done, total: message.total, message: message.message },
      };
    });
    if (message.status === "succeeded" || message.status === "failed" || message.status === "cancelled") router.refresh();
  });

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
          {documents.map((d) => {
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
                    {running ? (
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
                    {d.canDelete && collections.length > 1 ? (
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
                    {d.canDelete ? (
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
