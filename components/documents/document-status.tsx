"use client";
// A document's state as people read it: a badge, and while an analysis runs its stage and a
// progress bar that move live.
import type { LiveJob } from "@/components/live/live-updates";

export interface JobState {
  status: LiveJob["status"];
  stage: string;
  done: number;
  total: number;
  message: string | null;
}

const stageLabels: Record<string, string> = {
  queued: "Queued",
  extracting: "Reading",
  chunking: "Splitting",
  embedding: "Embedding",
  analysing: "Analysing",
  ready: "Ready",
  failed: "Failed",
  cancelled: "Cancelled",
};

const badgeTones: Record<string, string> = {
  ready: "bg-emerald-100 text-emerald-800",
  failed: "bg-red-100 text-red-800",
  cancelled: "bg-slate-200 text-slate-700",
  queued: "bg-slate-100 text-slate-700",
  processing: "bg-indigo-100 text-indigo-800",
};

export function DocumentStatus({ documentStatus, job, error }: { documentStatus: string; job: JobState | null; error: string | null }) {
  const running = job && (job.status === "queued" || job.status === "running");
  const label = running
    ? (stageLabels[job.stage] ?? job.stage)
    : documentStatus === "processing"
      ? "Analysing"
      : (stageLabels[documentStatus] ?? documentStatus);
  const tone = running ? badgeTones.processing : (badgeTones[documentStatus] ?? badgeTones.queued);
  const share = running && job.total > 0 ? Math.min(100, Math.round((job.done / job.total) * 100)) : null;
  return (
    <div className="min-w-0">
      <span
        data-testid="document-status"
        data-stage={running ? job.stage : documentStatus}
        className={`inline-block rounded px-2 py-0.5 text-xs font-medium ${tone}`}
      >
        {label}
      </span>
      {running ? (
        <>
          {job.message ? <p className="mt-1 truncate text-xs text-slate-600">{job.message}</p> : null}
          <div
            className="mt-1 h-1.5 w-full max-w-48 rounded bg-slate-100"
            role="progressbar"
            aria-label="Analysis progress"
            aria-valuenow={share ?? undefined}
            aria-valuemin={0}
            aria-valuemax={100}
          >
            <div
              className={`h-1.5 rounded bg-indigo-500 transition-all ${share === null ? "w-1/4 animate-pulse" : ""}`}
              style={share === null ? undefined : { width: `${share}%` }}
            />
          </div>
        </>
      ) : null}
      {!running && documentStatus === "failed" && error ? (
        <p className="mt-1 text-xs text-red-700" data-testid="document-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
