// Cron schedules as Inngest reads them (robfig/cron with five fields and descriptors): minute hour
// day-of-month month day-of-week, with `*`, lists, ranges, steps, month and day names, the
// @hourly-style macros, and an optional `TZ=Zone` / `CRON_TZ=Zone` prefix (UTC when none is given).
// croner computes the ticks; day-of-month and day-of-week combine with OR when both are set, as in
// Vixie cron and on Inngest. `@every <duration>` is refused: Inngest counts it from when the
// function was synced, which a schedule stored per tick cannot reproduce.
import { Cron } from "croner";
import { UnsupportedByLocalExecutor } from "./unsupported";

export interface CronSchedule {
  /** The first tick strictly after `after` (whole minutes, in the schedule's zone). */
  next(after: Date): Date;
}

const ZONE_PREFIX = /^(?:CRON_)?TZ=(\S+)\s+/;

/** Parses `spec`, refusing what Inngest would read differently (or never fire). */
export function parseCron(spec: string): CronSchedule {
  let pattern = spec.trim();
  const zone = ZONE_PREFIX.exec(pattern);
  if (zone) pattern = pattern.slice(zone[0].length);
  if (pattern === "@midnight") pattern = "@daily";
  if (pattern.startsWith("@every")) throw new UnsupportedByLocalExecutor(`the cron "${spec}" (@every intervals)`);
  if (!pattern.startsWith("@") && pattern.split(/\s+/).length !== 5)
    throw new UnsupportedByLocalExecutor(`the cron "${spec}" (five fields are supported, as on Inngest)`);

  let cron: Cron;
  try {
    // Never started (no callback): croner only computes the ticks here.
    cron = new Cron(pattern, { mode: "5-part", timezone: zone?.[1] ?? "Etc/UTC", domAndDow: false });
    cron.nextRun(new Date()); // an unknown time zone throws only when a time is computed
  } catch (error) {
    throw new UnsupportedByLocalExecutor(`the cron "${spec}" (${(error as Error).message})`);
  }
  return {
    next(after) {
      const next = cron.nextRun(after);
      if (!next) throw new UnsupportedByLocalExecutor(`the cron "${spec}" (it never fires)`);
      return next;
    },
  };
}
