"use client";
// The document page's status block: follows its running job live and refetches the page when the
// job ends, so the analysis appears without a reload. A move elsewhere refetches too; a deletion
// elsewhere says so instead of leaving a page about a document that is gone.
import Link from "next/link";
import { useState } from "react";
import { useLiveMessages } from "@/components/live/live-updates";
import { DocumentStatus, type JobState } from "./document-status";
import { useCoalescedRefresh } from "./use-live-documents";

export function LiveDocumentStatus({
  documentId,
  documentStatus,
  job,
  error,
}: {
  documentId: string;
  documentStatus: string;
  job: (JobState & { id: string }) | null;
  error: string | null;
}) {
  const refresh = useCoalescedRefresh();
  const [live, setLive] = useState(job);
  const [gone, setGone] = useState(false);
  useLiveMessages((message) => {
    if (message.type === "resync") return refresh();
    if (message.type === "document" && (message.documentId === documentId || message.documentId === null)) {
      if (message.change === "deleted" && message.documentId === documentId) return setGone(true);
      return refresh();
    }
    if (message.type !== "job" || message.documentId !== documentId) return;
    setLive({ id: message.jobId, status: message.status, stage: message.stage, done: message.done, total: message.total, message: message.message });
    if (message.status === "succeeded" || message.status === "failed" || message.status === "cancelled") refresh();
  });
  if (gone) {
    return (
      <p role="alert" data-testid="document-deleted" className="text-sm text-red-700">
        This document was just deleted.{" "}
        <Link href="/documents" className="underline">
          Back to Documents
        </Link>
      </p>
    );
  }
  return <DocumentStatus documentStatus={documentStatus} job={live} error={error} />;
}
