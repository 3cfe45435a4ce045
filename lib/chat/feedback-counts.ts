// Output-quality counts from chat feedback, for a tenant's admins: per UTC day, the answers given
// and how people judged them (thumbs up, thumbs down, corrections), and the user correction rate.
//
// Conversations are private to their author (row-level security on chat_messages is per user),
// so no tenant-scoped query can count a whole workspace's answers. This reads through the system
// path instead, held to one tenant by the WHERE clause and returning numbers only, never text, and
// only to the tenant's owners and admins.
import { sql } from "drizzle-orm";
import { z } from "zod";
import { withSystem } from "@/db/scope";
import { rawRows } from "@/db/raw-rows";
import { KeelError } from "@/lib/errors";
import { hasRole } from "@/lib/tenancy/roles";
import type { TenantContext } from "@/lib/tenancy/context";

export interface FeedbackFigures {
  /** Answers finished in the window (complete or stopped by the person; failures are not answers). */
  answers: number;
  thumbsUp: number;
  thumbsDown: number;
  corrections: number;
  /** Answers with a thumbs down or a correction, each counted once. */
  correctedAnswers: number;
}

export interface FeedbackDay extends FeedbackFigures {
  /** UTC day, YYYY-MM-DD. */
  day: string;
}

export interface FeedbackCounts {
  days: FeedbackDay[];
  total: FeedbackFigures & {
    /** correctedAnswers / answers; null with no answers. */
    correctionRate: number | null;
  };
}

const windowSchema = z
  .object({ from: z.date(), to: z.date() })
  .refine((w) => w.from.getTime() < w.to.getTime(), "The window must end after it starts.")
  .refine((w) => w.to.getTime() - w.from.getTime() <= 400 * 86_400_000, "The window is at most 400 days.");

const rowSchema = z.object({
  day: z.string(),
  answers: z.coerce.number(),
  thumbs_up: z.coerce.number(),
  thumbs_down: z.coerce.number(),
  corrections: z.coerce.number(),
  corrected_answers: z.coerce.number(),
});

/**
 * Feedback on the tenant's answers created in [from, to), by the answer's UTC day. A rating or
 * correction counts on the day of the answer it judges (when it was given is not stored), so a
 * day's figures can still grow after the day; answers in deleted conversations are not counted.
 */
export async function chatFeedbackCounts(ctx: TenantContext, window: { from: Date; to: Date }): Promise<FeedbackCounts> {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Output quality is visible to owners and admins only.");
  const { from, to } = windowSchema.parse(window);
  const rows = await withSystem("admin quality page: one tenant's chat feedback counts, aggregates only", (tx) =>
    rawRows<unknown>(
      tx,
      sql`select to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD') as day,
                 count(*) as answers,
                 count(*) filter (where rating = 1) as thumbs_up,
                 count(*) filter (where rating = -1) as thumbs_down,
                 count(*) filter (where correction is not null) as corrections,
                 count(*) filter (where rating = -1 or correction is not null) as corrected_answers
            from chat_messages
           where tenant_id = ${ctx.tenantId}::uuid
             and role = 'assistant'
             and status in ('complete', 'stopped')
             and created_at >= ${from.toISOString()}::timestamptz
             and created_at < ${to.toISOString()}::timestamptz
           group by 1
           order by 1`,
    ),
  );
  const days = rows.map((raw) => {
    const row = rowSchema.parse(raw);
    return {
      day: row.day,
      answers: row.answers,
      thumbsUp: row.thumbs_up,
      thumbsDown: row.thumbs_down,
      corrections: row.corrections,
      correctedAnswers: row.corrected_answers,
    };
  });
  const total: FeedbackFigures = { answers: 0, thumbsUp: 0, thumbsDown: 0, corrections: 0, correctedAnswers: 0 };
  for (const day of days) {
    total.answers += day.answers;
    total.thumbsUp += day.thumbsUp;
    total.thumbsDown += day.thumbsDown;
    total.corrections += day.corrections;
    total.correctedAnswers += day.correctedAnswers;
  }
  return { days, total: { ...total, correctionRate: total.answers > 0 ? total.correctedAnswers / total.answers : null } };
}
