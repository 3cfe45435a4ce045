// Background jobs as the product records them (the jobs table, written by every job runner, Inngest
// or the local executor): queue depth, durations, busy time and outcomes, per chart day and now.
// The recent jobs plus those still open are read once; a tenant's through its (tenant, created)
// index, the platform's through migration 0015's created and open-status indexes.
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/types";
import { rawRows } from "@/db/raw-rows";
import { jobs } from "@/db/schema";
import type { TenantFilter } from "./scope";
import type { Windows } from "./windows";

interface JobFigures {
  /** Jobs queued at the moment (the day's end, or now). */
  queued: number;
  /** P95 run time of the jobs that finished (ms), null when none did. */
  p95DurationMs: number | null;
  finished: number;
  /** Milliseconds jobs spent running inside the span. */
  busyMs: number;
  succeeded: number;
  /** Failed or cancelled. */
  unsuccessful: number;
}

export interface JobData {
  byDay: Map<string, JobFigures>;
  /** Queue depth now; durations and outcomes over the last 24 hours; busy time over the last 60 minutes. */
  current: JobFigures;
}

interface Row {
  day: string | null;
  queued: string | number;
  p95: string | number | null;
  finished: string | number;
  busy: string | number | null;
  succeeded: string | number;
  unsuccessful: string | number;
}

const toFigures = (row: Row): JobFigures => ({
  queued: Number(row.queued),
  p95DurationMs: row.p95 === null ? null : Math.round(Number(row.p95)),
  finished: Number(row.finished),
  busyMs: Math.round(Number(row.busy ?? 0)),
  succeeded: Number(row.succeeded),
  unsuccessful: Number(row.unsuccessful),
});

export async function readJobData(tx: Tx, filter: TenantFilter, windows: Windows): Promise<JobData> {
  const j = jobs;
  const now = windows.now.toISOString();
  const first = `${windows.historyDays[0]}T00:00:00Z`;
  // Spans: [start, end) per chart day (today ends now), then one row for the current figures.
  const rows = await rawRows<Row>(
    tx,
    sql`with j as (
          select ${j.status} as status, ${j.createdAt} as created_at, ${j.startedAt} as started_at, ${j.finishedAt} as finished_at,
                 extract(epoch from ${j.finishedAt} - ${j.startedAt}) * 1000 as duration_ms
          from ${j}
          where ${filter(sql`${j.tenantId}`)}
            and (${j.createdAt} >= ${first}::timestamptz - interval '24 hours' or ${j.status} in ('queued', 'running'))
        ), spans as (
          select to_char(s.start at time zone 'UTC', 'YYYY-MM-DD') as day, s.start, least(s.start + interval '24 hours', ${now}::timestamptz) as "end",
                 s.start as busy_start, least(s.start + interval '24 hours', ${now}::timestamptz) as busy_end
          from (select ${first}::timestamptz + g * interval '24 hours' as start from generate_series(0, ${windows.historyDays.length - 1}) g) s
          union all
          select null, ${windows.day.from}::timestamptz, ${now}::timestamptz, ${windows.recent.from}::timestamptz, ${now}::timestamptz
        )
        select s.day,
          (select count(*) from j where j.created_at <= s."end" and coalesce(j.started_at, j.finished_at, 'infinity') > s."end") as queued,
          (select percentile_disc(0.95) within group (order by j.duration_ms) from j
            where j.started_at is not null and j.finished_at >= s.start and j.finished_at < s."end") as p95,
          (select count(*) from j where j.started_at is not null and j.finished_at >= s.start and j.finished_at < s."end") as finished,
          (select sum(extract(epoch from least(coalesce(j.finished_at, ${now}::timestamptz), s.busy_end) - greatest(j.started_at, s.busy_start)) * 1000)
            from j where j.started_at < s.busy_end and coalesce(j.finished_at, ${now}::timestamptz) > s.busy_start) as busy,
          (select count(*) from j where j.status = 'succeeded' and j.finished_at >= s.start and j.finished_at < s."end") as succeeded,
          (select count(*) from j where j.status in ('failed', 'cancelled') and j.finished_at >= s.start and j.finished_at < s."end") as unsuccessful
        from spans s`,
  );
  const byDay = new Map<string, JobFigures>();
  let current: JobFigures | undefined;
  for (const row of rows) {
    if (row.day === null) current = toFigures(row);
    else byDay.set(row.day, toFigures(row));
  }
  return { byDay, current: current! };
}
