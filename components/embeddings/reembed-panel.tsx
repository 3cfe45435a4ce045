// Settings → Embeddings (admins): which model the workspace's passages should be embedded with,
// how many are not (and their tokens and cost) before anyone confirms, the latest run's live
// progress, and the rollback of a run under way or failed.
import { ActionForm } from "@/components/ui/action-form";
import type { JobState } from "@/components/documents/document-status";
import type { ActionState } from "@/lib/http/action-state";
import { ReembedProgress } from "./reembed-progress";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export interface ReembedPanelProps {
  model: string;
  stale: { chunks: number; tokens: number; documents: number };
  /** Formatted: what the run would cost, and at the online price. */
  cost: string;
  onlineCost: string;
  usesBatch: boolean;
  partialChunks: number;
  job: (JobState & { id: string }) | null;
  actions: { start: Action; rollback: Action };
}

const number = new Intl.NumberFormat("en");
const plural = (n: number, word: string) => `${number.format(n)} ${word}${n === 1 ? "" : "s"}`;

export function ReembedPanel({ model, stale, cost, onlineCost, usesBatch, partialChunks, job, actions }: ReembedPanelProps) {
  const running = job !== null && (job.status === "queued" || job.status === "running");
  const summary = `${plural(stale.chunks, "passage")} (${plural(stale.tokens, "token")}) in ${plural(stale.documents, "document")}`;
  return (
    <div data-testid="reembed-panel">
      <p className="text-sm text-slate-700">
        Passages are embedded with <span className="font-mono">{model}</span>. When that model changes, or a passage changes, its vectors are rebuilt beside the
        current ones and each document switches over at once when its new set is complete; a check runs every 15 minutes.
      </p>
      {stale.chunks === 0 ? (
        <p className="mt-3 text-sm text-emerald-800" data-testid="reembed-up-to-date">
          Every passage uses {model}.
        </p>
      ) : (
        <div className="mt-3 text-sm" data-testid="reembed-estimate">
          <p>
            <span className="font-medium">{summary}</span> use another model or changed since they were embedded.
          </p>
          <p className="mt-1 text-slate-600" data-testid="reembed-cost">
            Estimated cost: <span className="font-medium">{cost}</span>
            {usesBatch ? ` through the provider's batch API (online: ${onlineCost}); a batch can take up to a day.` : ""}
          </p>
          {!running ? (
            <div className="mt-3">
              <ActionForm
                action={actions.start}
                submitLabel={`Re-embed ${plural(stale.chunks, "passage")}`}
                pendingLabel="Starting…"
                variant="primary"
                confirmMessage={`Re-embed ${summary} with ${model}? Estimated cost: ${cost}.`}
                label="Start re-embedding"
              />
            </div>
          ) : null}
        </div>
      )}
      {job ? <ReembedProgress key={job.id} job={job} /> : null}
      {running || partialChunks > 0 ? (
        <div className="mt-3">
          <ActionForm
            action={actions.rollback}
            submitLabel="Roll back"
            variant="danger"
            confirmMessage={`Stop re-embedding and discard ${plural(partialChunks, "new vector")} not yet switched in? Documents keep the vectors they have.`}
            label="Roll back re-embedding"
          />
        </div>
      ) : null}
    </div>
  );
}
