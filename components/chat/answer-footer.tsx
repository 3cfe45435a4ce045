"use client";
// Under each finished answer: who answered and what it cost (quietly), its citations, thumbs up or
// down, and "correct this answer" (kept beside the original, for the quality figures).
import { FileText, PenLine, ThumbsDown, ThumbsUp } from "lucide-react";
import Link from "next/link";
import { useActionState, useState, useTransition } from "react";
import type { AnswerDetails, Citation } from "@/lib/chat/types";
import { citationHref } from "@/lib/chat/ui-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type CorrectAction = (state: ActionState, formData: FormData) => Promise<ActionState>;
export type RateAction = (answerId: string, rating: -1 | 1 | null) => Promise<{ ok: boolean; message?: string }>;

const usd = new Intl.NumberFormat("en", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 6 });

function describeDetails(details: AnswerDetails): string[] {
  const parts: string[] = [];
  if (details.provider && details.model) parts.push(`${details.provider} · ${details.model}`);
  if (details.offline) parts.push("offline model (no AI provider configured or reachable)");
  else if (details.fallback) parts.push("answered by a fallback provider");
  if (details.cacheHit) parts.push("from cache");
  if (details.inputTokens !== undefined && details.outputTokens !== undefined) parts.push(`${details.inputTokens} in / ${details.outputTokens} out tokens`);
  if (details.costUsd !== undefined) parts.push(usd.format(details.costUsd));
  return parts;
}

export function AnswerFooter(props: {
  answerId: string;
  details: AnswerDetails;
  citations: Citation[];
  rating: number | null;
  correction: string | null;
  actions: { rate: RateAction; correct: CorrectAction };
}) {
  const { answerId, details, citations, actions } = props;
  const [rating, setRating] = useState(props.rating);
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const [correcting, setCorrecting] = useState(false);
  const [state, correct] = useActionState(actions.correct, idleState);
  const rate = (value: -1 | 1) =>
    start(async () => {
      const next = rating === value ? null : value;
      const result = await actions.rate(answerId, next);
      if (result.ok) setRating(next);
      setProblem(result.ok ? null : (result.message ?? "Could not save your rating."));
    });
  const facts = describeDetails(details);
  return (
    <div className="mt-2 flex flex-col gap-2 text-xs text-slate-500" data-testid="answer-footer">
      {citations.length > 0 ? (
        <ol className="flex flex-col gap-1" aria-label="Sources" data-testid="citations">
          {citations.map((c) => (
            <li key={c.number}>
              <Link href={citationHref(c)} className="inline-flex items-center gap-1 text-indigo-700 hover:underline">
                <FileText aria-hidden className="size-3.5 shrink-0" />[{c.number}] {c.documentName}
                {c.page ? `, page ${c.page}` : ""}
              </Link>
            </li>
          ))}
        </ol>
      ) : null}
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        {facts.length > 0 ? <span data-testid="answer-details">{facts.join(" · ")}</span> : null}
        {/* A count only when there are sources: "0 citations" under every ungrounded answer is noise. */}
        {citations.length > 0 ? (
          <span>
            {citations.length} citation{citations.length === 1 ? "" : "s"}
          </span>
        ) : null}
        <button
          type="button"
          disabled={pending}
          aria-pressed={rating === 1}
          aria-label="Good answer"
          onClick={() => rate(1)}
          className={`rounded p-1 ${rating === 1 ? "bg-green-100 text-green-800" : "hover:bg-slate-100"}`}
        >
          <ThumbsUp aria-hidden className={`size-4 ${rating === 1 ? "fill-current" : ""}`} />
        </button>
        <button
          type="button"
          disabled={pending}
          aria-pressed={rating === -1}
          aria-label="Bad answer"
          onClick={() => rate(-1)}
          className={`rounded p-1 ${rating === -1 ? "bg-red-100 text-red-800" : "hover:bg-slate-100"}`}
        >
          <ThumbsDown aria-hidden className={`size-4 ${rating === -1 ? "fill-current" : ""}`} />
        </button>
        <button type="button" onClick={() => setCorrecting((v) => !v)} className="inline-flex items-center gap-1 text-indigo-700 hover:underline">
          <PenLine aria-hidden className="size-3.5" />
          {props.correction || state.ok ? "Edit your correction" : "Correct this answer"}
        </button>
        {problem ? (
          <span role="alert" className="text-red-700">
            {problem}
          </span>
        ) : null}
      </div>
      {correcting ? (
        <form action={correct} className="flex flex-col gap-2" aria-label="Correct this answer">
          <input type="hidden" name="messageId" value={answerId} />
          <textarea
            name="correction"
            rows={4}
            required
            maxLength={32_000}
            defaultValue={state.values?.correction ?? props.correction ?? ""}
            aria-label="Corrected answer"
            className="rounded-md border border-slate-300 p-2 text-sm text-slate-900"
          />
          <div className="flex items-center gap-2">
            <SubmitButton pendingLabel="Saving…">Save correction</SubmitButton>
            {state.message ? (
              <span role={state.ok ? "status" : "alert"} className={state.ok ? "text-green-700" : "text-red-700"}>
                {state.message}
              </span>
            ) : null}
          </div>
        </form>
      ) : props.correction ? (
        <p className="rounded bg-amber-50 p-2 text-slate-700" data-testid="correction">
          Your correction: {props.correction}
        </p>
      ) : null}
    </div>
  );
}
