import { ArrowLeft, ChevronLeft, ChevronRight } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { DocumentMarkdown } from "@/components/documents/document-markdown";
import { LiveDocumentStatus } from "@/components/documents/live-document-status";
import { OriginalPreview } from "@/components/documents/original-preview";
import { ActionForm } from "@/components/ui/action-form";
import { PageHeader } from "@/components/ui/empty-state";
import { mayManageDocument } from "@/lib/documents/document-permissions";
import { getDocumentDetail, listDocumentChunks, type DocumentDetail } from "@/lib/documents/documents";
import { formatBytes } from "@/lib/documents/limits";
import { readTextPreview } from "@/lib/documents/originals";
import { isKeelError } from "@/lib/errors";
import { cancelAnalysisAction, deleteDocumentAction, reanalyzeDocumentAction } from "../actions";
import { formatDateTime } from "@/lib/format/dates";
import { tenantPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Document" };
export const dynamic = "force-dynamic";

const PAGE_SIZE = 20;
const kindLabels: Record<string, string> = { pdf: "PDF", docx: "Word document", markdown: "Markdown", text: "Plain text", html: "HTML" };

function Section({ title, children, id }: { title: string; children: React.ReactNode; id: string }) {
  return (
    <section aria-labelledby={id} className="mt-6 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

function pagesOf(chunk: { pageStart: number | null; pageEnd: number | null }): string | null {
  if (chunk.pageStart === null) return null;
  return chunk.pageEnd !== null && chunk.pageEnd !== chunk.pageStart ? `pages ${chunk.pageStart}–${chunk.pageEnd}` : `page ${chunk.pageStart}`;
}

export default tenantPage(
  { role: "member" },
  async (
    ctx,
    {
      params,
      searchParams,
    }: {
      params: Promise<{ id: string }>;
      searchParams: Promise<{ page?: string; chunk?: string }>;
    },
  ) => {
    const { id } = await params;
    if (!z.uuid().safeParse(id).success) notFound();
    // A citation links to `?chunk=<index>#chunk-<index>`: open the page of passages that holds it.
    const query = await searchParams;
    const cited = Number(query.chunk);
    const page = Number.isInteger(cited) && cited >= 0 ? Math.floor(cited / PAGE_SIZE) + 1 : Math.max(1, Number(query.page) || 1);
    let detail: DocumentDetail;
    try {
      detail = await getDocumentDetail(ctx, id);
    } catch (error) {
      if (isKeelError(error) && error.code === "not_found") notFound();
      throw error;
    }
    const { document, job, history, collectionName } = detail;
    const textOriginal = document.kind === "markdown" || document.kind === "text";
    const [chunks, text] = await Promise.all([
      listDocumentChunks(ctx, id, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }),
      // A missing original (logged where it is found missing) leaves the rest of the page useful.
      textOriginal
        ? readTextPreview(ctx, id).catch((error: unknown) => (isKeelError(error) && error.code === "not_found" ? null : Promise.reject(error)))
        : null,
    ]);
    const pages = Math.max(1, Math.ceil(chunks.total / PAGE_SIZE));
    const running = job && (job.status === "queued" || job.status === "running");
    const analysis = document.analysis;
    const canManage = mayManageDocument(ctx, document);

    return (
      <>
        <p className="mb-2 text-sm">
          <Link href="/documents" className="inline-flex items-center gap-1 text-indigo-700 underline">
            <ArrowLeft aria-hidden className="size-3.5" />
            Documents
          </Link>
        </p>
        <PageHeader title={document.name} />
        <div className="flex flex-wrap items-start justify-between gap-4 rounded-lg border border-slate-200 bg-white p-4">
          <dl className="grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
            <dt className="text-slate-500">Status</dt>
            <dd>
              <LiveDocumentStatus
                documentId={document.id}
                documentStatus={document.status}
                job={job ? { id: job.id, status: job.status, stage: job.stage, done: job.done, total: job.total, message: job.message } : null}
                error={document.error}
              />
            </dd>
            <dt className="text-slate-500">Type</dt>
            <dd>{kindLabels[document.kind] ?? document.kind}</dd>
            <dt className="text-slate-500">Size</dt>
            <dd>{formatBytes(document.sizeBytes)}</dd>
            <dt className="text-slate-500">Collection</dt>
            <dd>{collectionName}</dd>
            {document.pageCount !== null ? (
              <>
                <dt className="text-slate-500">Pages</dt>
                <dd>{document.pageCount}</dd>
              </>
            ) : null}
            {document.language ? (
              <>
                <dt className="text-slate-500">Language</dt>
                <dd data-testid="document-language">{document.language}</dd>
              </>
            ) : null}
            {document.chunkCount !== null ? (
              <>
                <dt className="text-slate-500">Passages</dt>
                <dd>
                  {document.chunkCount} ({document.tokenCount?.toLocaleString("en")} tokens)
                </dd>
              </>
            ) : null}
            <dt className="text-slate-500">Uploaded</dt>
            <dd>{`${formatDateTime(document.createdAt)} UTC`}</dd>
          </dl>
          <div className="flex flex-wrap gap-2">
            {!canManage ? (
              <p className="text-sm text-slate-500" data-testid="document-actions-note">
                Only the person who uploaded this document, or an admin, can re-analyse, cancel or delete it.
              </p>
            ) : running ? (
              <ActionForm action={cancelAnalysisAction} hidden={{ documentId: document.id }} submitLabel="Cancel analysis" pendingLabel="Cancelling…" />
            ) : (
              <ActionForm
                action={reanalyzeDocumentAction}
                hidden={{ documentId: document.id }}
                submitLabel={document.status === "ready" ? "Re-analyse" : "Retry analysis"}
                pendingLabel="Starting…"
              />
            )}
            {canManage ? (
              <ActionForm
                action={deleteDocumentAction}
                hidden={{ documentId: document.id, from: "page" }}
                submitLabel="Delete"
                pendingLabel="Deleting…"
                variant="danger"
                confirmMessage={`Delete “${document.name}”? Its analysis, passages and cached answers that cite it are removed too.`}
              />
            ) : null}
          </div>
        </div>

        <Section title="Original" id="original-heading">
          <OriginalPreview documentId={document.id} name={document.name} kind={document.kind} text={text} />
        </Section>

        <Section title="Analysis" id="analysis-heading">
          {analysis ? (
            <div className="space-y-4 text-sm" data-testid="analysis">
              <p className="whitespace-pre-line">{analysis.summary}</p>
              <div>
                <h3 className="font-medium">Key points</h3>
                <ul className="mt-1 list-disc space-y-1 pl-5">
                  {analysis.keyPoints.map((point, i) => (
                    <li key={i}>{point}</li>
                  ))}
                </ul>
              </div>
              {analysis.entities.length > 0 ? (
                <div>
                  <h3 className="font-medium">Entities</h3>
                  <ul className="mt-1 flex flex-wrap gap-2">
                    {analysis.entities.map((entity, i) => (
                      <li key={i} className="rounded bg-slate-100 px-2 py-0.5">
                        {entity.name} <span className="text-xs text-slate-500">{entity.type}</span>
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </div>
          ) : (
            <p className="text-sm text-slate-600">{running ? "The analysis appears here when it is ready." : "No analysis yet."}</p>
          )}
        </Section>

        <Section title="Status history" id="history-heading">
          {history.length === 0 ? (
            <p className="text-sm text-slate-600">No activity yet.</p>
          ) : (
            <ol className="space-y-1 text-sm" data-testid="status-history">
              {history.map((event) => (
                <li key={event.id} className="flex flex-wrap gap-2">
                  <span className="text-slate-500">{formatDateTime(event.createdAt)}</span>
                  <span className="font-medium">{event.stage}</span>
                  {event.message ? <span className="text-slate-600">{event.message}</span> : null}
                </li>
              ))}
            </ol>
          )}
        </Section>

        <Section title={`Passages (${chunks.total})`} id="chunks-heading">
          {chunks.total === 0 ? (
            <p className="text-sm text-slate-600">{running ? "Passages appear when the analysis is ready." : "No passages."}</p>
          ) : (
            <>
              <ol className="space-y-3" data-testid="chunk-list">
                {chunks.chunks.map((chunk) => (
                  <li
                    key={chunk.id}
                    id={`chunk-${chunk.chunkIndex}`}
                    className="scroll-mt-20 rounded-md border border-slate-100 p-3 text-sm target:border-amber-400 target:bg-amber-50"
                  >
                    <p className="mb-1 text-xs text-slate-500">
                      #{chunk.chunkIndex + 1}
                      {chunk.heading ? ` · ${chunk.heading}` : ""}
                      {pagesOf(chunk) ? ` · ${pagesOf(chunk)}` : ""} · {chunk.tokenCount} tokens
                    </p>
                    {document.kind === "markdown" ? (
                      <DocumentMarkdown text={chunk.content} testId="passage-markdown" />
                    ) : (
                      <p className="whitespace-pre-line text-slate-800">{chunk.content}</p>
                    )}
                  </li>
                ))}
              </ol>
              {pages > 1 ? (
                <nav aria-label="Passage pages" className="mt-3 flex items-center gap-3 text-sm">
                  {page > 1 ? (
                    <Link href={`?page=${page - 1}#chunks-heading`} className="inline-flex items-center gap-1">
                      <ChevronLeft aria-hidden className="size-4" />
                      Previous
                    </Link>
                  ) : null}
                  <span>
                    Page {page} of {pages}
                  </span>
                  {page < pages ? (
                    <Link href={`?page=${page + 1}#chunks-heading`} className="inline-flex items-center gap-1">
                      Next
                      <ChevronRight aria-hidden className="size-4" />
                    </Link>
                  ) : null}
                </nav>
              ) : null}
            </>
          )}
        </Section>
      </>
    );
  },
);
