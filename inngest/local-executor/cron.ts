// Cron schedules as Inngest writes them: five fields (minute hour day-of-month month day-of-week),
// with `*`, lists, ranges, steps, month and day names, the @hourly-style macros, and an optional
// `TZ=UTC` prefix. Times are UTC, as on Inngest when no zone is given; another zone is refused.
import { UnsupportedByLocalExecutor } from "./unsupported";

const macros: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Field {
  values: Set<number>;
  /** `*` (or `?`): day-of-month and day-of-week then combine with AND instead of OR. */
  any: boolean;
}

function parseField(text: string, min: number, max: number, names: string[] = [], nameOffset = 0): Field {
  const values = new Set<number>();
  const value = (token: string) => {
    const named = names.indexOf(token.toUpperCase());
    const number = named >= 0 ? named + nameOffset : /^\d+$/.test(token) ? Number(token) : NaN;
    if (!Number.isInteger(number) || number < min || number > max) throw new Error(`"${token}" is out of range ${min}-${max}`);
    return number;
  };
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!range || !Number.isInteger(step) || step < 1) throw new Error(`"${part}" is not a cron field`);
    let [from, to] = [min, max];
    if (range !== "*" && range !== "?") {
      const [start, end] = range.split("-");
      from = value(start!);
      to = end !== undefined ? value(end) : stepText !== undefined ? max : from;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { values, any: text === "*" || text === "?" };
}

export interface CronSchedule {
  /** The first time strictly after `after` (whole minutes, UTC). */
  next(after: Date): Date;
}

export function parseCron(spec: string): CronSchedule {
  let text = spec.trim();
  const zone = /^(?:CRON_)?TZ=(\S+)\s+/.exec(text);
  if (zone) {
    if (!["UTC", "Etc/UTC", "GMT", "Etc/GMT"].includes(zone[1]!))
      throw new UnsupportedByLocalExecutor(`the time zone ${zone[1]} in the cron "${spec}" (UTC only)`);
    text = text.slice(zone[0].length);
  }
  if (text.startsWith("@")) {
    if (!macros[text]) throw new UnsupportedByLocalExecutor(`the cron "${spec}"`);
    text = macros[text]!;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new UnsupportedByLocalExecutor(`the cron "${spec}" (five fields are supported)`);
  let fields: Field[];
  try {
    fields = [
      parseField(parts[0]!, 0, 59),
      parseField(parts[1]!, 0, 23),
      parseField(parts[2]!, 1, 31),
      parseField(parts[3]!, 1, 12, monthNames, 1),
      parseField(parts[4]!, 0, 7, dayNames),
    ];
  } catch (error) {
    throw new UnsupportedByLocalExecutor(`the cron "${spec}" (${(error as Error).message})`);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = fields as [Field, Field, Field, Field, Field];
  if (daysOfWeek.values.has(7)) daysOfWeek.values.add(0);

  const dayMatches = (t: Date) => {
    const dom = daysOfMonth.values.has(t.getUTCDate());
    const dow = daysOfWeek.values.has(t.getUTCDay());
    return daysOfMonth.any || daysOfWeek.any ? dom && dow : dom || dow;
  };

  return {
    next(after) {
      let t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      const at = (y: number, mo: number, d: number, h: number, mi: number) => new Date(Date.UTC(y, mo, d, h, mi));
      // Each skip moves to the start of the next month, day, hour or minute: a few hundred steps at most per year searched.
      for (let guard = 0; guard < 20_000; guard++) {
        const [y, mo, d, h, mi] = [t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes()];
        if (!months.values.has(mo + 1)) t = at(y, mo + 1, 1, 0, 0);
        else if (!dayMatches(t)) t = at(y, mo, d + 1, 0, 0);
        else if (!hours.values.has(h)) t = at(y, mo, d, h + 1, 0);
        else if (!minutes.values.has(mi)) t = at(y, mo, d, h, mi + 1);
        else return t;
      }
      throw new UnsupportedByLocalExecutor(`the cron "${spec}" (it never fires)`);
    },
  };
}
