"use client";
// One workspace export on the Settings page: its stage and progress bar move live (the job's
// messages, as an analysis's), and once the zip is written, the download link.
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { JobState } from "@/components/documents/document-status";
import { useLiveMessages } from "@/components/live/live-updates";

const statusLabels: Record<JobState["status"], string> = {
  queued: "Queued",
  running: "Exporting",
  succeeded: "Ready",
  failed: "Failed",
  cancelled: "Cancelled",
};

interface ExportRow extends JobState {
  id: string;
  /** Formatted: when it was asked for, and until when the zip is kept. */
  created: string;
  expires: string;
  size: string | null;
}

export function ExportProgress({ initial }: { initial: ExportRow }) {
  const router = useRouter();
  const [live, setLive] = useState<JobState>(initial);
  useLiveMessages((message) => {
    if (message.type !== "job" || message.jobId !== initial.id) return;
    setLive({ status: message.status, stage: message.stage, done: message.done, total: message.total, message: message.message });
    // The size and the link come from the page.
    if (message.status === "succeeded" || message.status === "failed") router.refresh();
  });
  const running = live.status === "queued" || live.status === "running";
  const share = live.total > 0 ? Math.min(100, Math.round((live.done / live.total) * 100)) : 0;
  return (
    <li className="py-3 text-sm" data-testid="export-row" data-status={live.status}>
      <p>
        <span className="font-medium">{statusLabels[live.status]}</span>
        <span className="text-slate-600"> · asked for {initial.created}</span>
        {running ? <span className="text-slate-600"> · {share}%</span> : null}
      </p>
      {live.message ? <p className={`mt-1 ${live.status === "failed" ? "text-red-700" : "text-slate-600"}`}>{live.message}</p> : null}
      {running ? (
        <div
          className="mt-2 h-1.5 w-full max-w-md rounded bg-slate-100"
          role="progressbar"
          aria-label="Export progress"
          aria-valuenow={share}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div className="h-1.5 rounded bg-indigo-500 transition-all" style={{ width: `${Math.max(share, 5)}%` }} />
        </div>
      ) : null}
      {live.status === "succeeded" && initial.size ? (
        <p className="mt-1">
          <a href={`/api/exports/${initial.id}`} className="font-medium text-indigo-700 underline" download data-testid="export-download">
            Download the zip ({initial.size})
          </a>
          <span className="text-slate-500"> · kept until {initial.expires}</span>
        </p>
      ) : null}
    </li>
  );
}
