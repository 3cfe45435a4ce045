"use client";
// The document page's status block: follows its running job live and refetches the page when the
// job ends, so the analysis appears without a reload.
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useLiveMessages } from "@/components/live/live-updates";
import { DocumentStatus, type JobState } from "./document-status";

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
  const router = useRouter();
  const [live, setLive] = useState(job);
  useLiveMessages((message) => {
    if (message.type !== "job" || message.documentId !== documentId) return;
    setLive({ id: message.jobId, status: message.status, stage: message.stage, done: message.done, total: message.total, message: message.message });
    if (message.status === "succeeded" || message.status === "failed" || message.status === "cancelled") router.refresh();
  });
  return <DocumentStatus documentStatus={documentStatus} job={live} error={error} />;
}
