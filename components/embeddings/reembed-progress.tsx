"use client";
// The latest re-embedding on the Settings page: its stage and a progress bar that move live (the
// same job messages as a document's analysis), and a refetch when it ends so the counts update.
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { JobState } from "@/components/documents/document-status";
import { useLiveMessages } from "@/components/live/live-updates";

const statusLabels: Record<JobState["status"], string> = {
  queued: "Queued",
  running: "Re-embedding",
  succeeded: "Finished",
  failed: "Failed",
  cancelled: "Rolled back",
};

export function ReembedProgress({ job }: { job: JobState & { id: string } }) {
  const router = useRouter();
  const [live, setLive] = useState(job);
  useLiveMessages((message) => {
    if (message.type !== "job" || message.jobId !== job.id) return;
    setLive({ id: message.jobId, status: message.status, stage: message.stage, done: message.done, total: message.total, message: message.message });
    if (message.status === "succeeded" || message.status === "failed" || message.status === "cancelled") router.refresh();
  });
  const running = live.status === "queued" || live.status === "running";
  const share = running && live.total > 0 ? Math.min(100, Math.round((live.done / live.total) * 100)) : null;
  return (
    <div className="mt-3 rounded-md border border-slate-200 p-3 text-sm" data-testid="reembed-job" data-status={live.status}>
      <p>
        <span className="font-medium">{statusLabels[live.status]}</span>
        {running && live.total > 0 ? (
          <span className="text-slate-600">
            {" "}
            · {live.done} of {live.total} passages
          </span>
        ) : null}
      </p>
      {live.message ? <p className={`mt-1 ${live.status === "failed" ? "text-red-700" : "text-slate-600"}`}>{live.message}</p> : null}
      {running ? (
        <div
          className="mt-2 h-1.5 w-full max-w-md rounded bg-slate-100"
          role="progressbar"
          aria-label="Re-embedding progress"
          aria-valuenow={share ?? undefined}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div
            className={`h-1.5 rounded bg-indigo-500 transition-all ${share === null ? "w-1/4 animate-pulse" : ""}`}
            style={share === null ? undefined : { width: `${share}%` }}
          />
        </div>
      ) : null}
    </div>
  );
}
