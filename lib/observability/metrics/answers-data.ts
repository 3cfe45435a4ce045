// Chat answers: how many ended, how many completed, how many people corrected (a thumbs-down or an
// edited answer), per chart day and over the last 24 hours, from the hourly counts migration 0015
// keeps (chat rows themselves are private to their authors, even from admins).
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/types";
import { rawRows } from "@/db/raw-rows";
import { chatAnswerHours } from "@/db/schema";
import type { TenantFilter } from "./scope";
import type { Windows } from "./windows";

interface AnswerFigures {
  /** Answers that ended: complete, stopped or failed (not those still streaming). */
  finished: number;
  complete: number;
  /** Complete or stopped by the person (a failure is no answer), as the correction rate counts them. */
  answered: number;
  /** Answered, with a thumbs-down or a correction. */
  corrected: number;
}

export interface AnswerData {
  byDay: Map<string, AnswerFigures>;
  lastDay: AnswerFigures;
}

const empty = (): AnswerFigures => ({ finished: 0, complete: 0, answered: 0, corrected: 0 });

export async function readAnswerData(tx: Tx, filter: TenantFilter, windows: Windows): Promise<AnswerData> {
  const h = chatAnswerHours;
  const rows = await rawRows<{
    day: string;
    inWindow: boolean;
    finished: string | number;
    complete: string | number;
    answered: string | number;
    corrected: string | number;
  }>(
    tx,
    sql`select to_char(${h.hour} at time zone 'UTC', 'YYYY-MM-DD') as day, ${h.hour} >= ${windows.day.from}::timestamptz as "inWindow",
               sum(${h.finished}) as finished, sum(${h.complete}) as complete, sum(${h.answered}) as answered, sum(${h.corrected}) as corrected
        from ${h}
        where ${filter(sql`${h.tenantId}`)}
          and ${h.hour} >= least(${`${windows.historyDays[0]}T00:00:00Z`}::timestamptz, ${windows.day.from}::timestamptz)
          and ${h.hour} <= ${windows.now.toISOString()}::timestamptz
        group by 1, 2`,
  );
  const byDay = new Map(windows.historyDays.map((day) => [day, empty()]));
  const lastDay = empty();
  for (const row of rows) {
    const figures = { finished: Number(row.finished), complete: Number(row.complete), answered: Number(row.answered), corrected: Number(row.corrected) };
    for (const target of [byDay.get(row.day), row.inWindow ? lastDay : undefined]) {
      if (!target) continue;
      target.finished += figures.finished;
      target.complete += figures.complete;
      target.answered += figures.answered;
      target.corrected += figures.corrected;
    }
  }
  return { byDay, lastDay };
}
