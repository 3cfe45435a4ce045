import { describe, expect, it } from "vitest";
import { cumulativeSeries, project } from "./forecast";

describe("forecast", () => {
  it("projects the pace so far to the end of the period and names the day a limit is reached", () => {
    // 10 days into a 30-day month, 1,000 used: 3,000 by the end; a 2,000 limit is reached on day 20.
    const now = new Date("2025-11-11T00:00:00Z");
    expect(project({ periodStart: "2025-11-01", now, used: 1_000, limit: 2_000, softLimitPercent: 80 })).toEqual({
      atPeriodEnd: 3_000,
      limitDay: "2025-11-21",
      softLimitDay: "2025-11-17",
    });
    expect(project({ periodStart: "2025-11-01", now, used: 1_000, limit: 5_000, softLimitPercent: 80 })).toMatchObject({ limitDay: null, softLimitDay: null });
    expect(project({ periodStart: "2025-11-01", now, used: 2_500, limit: 2_000, softLimitPercent: 80 })).toMatchObject({ limitDay: "2025-11-11" });
    expect(project({ periodStart: "2025-11-01", now, used: 0, limit: null, softLimitPercent: 80 })).toEqual({
      atPeriodEnd: 0,
      limitDay: null,
      softLimitDay: null,
    });
    // Minutes into a period, one call is not extrapolated as if it took a minute.
    const early = project({ periodStart: "2025-11-01", now: new Date("2025-11-01T00:01:00Z"), used: 100, limit: null, softLimitPercent: 80 });
    expect(early.atPeriodEnd).toBe(Math.round(100 + (100 / 3_600_000) * (30 * 86_400_000 - 60_000)));
  });

  it("runs totals up to today and projects the rest of a current period", () => {
    const perDay = new Map([
      ["2025-10-31", 5], // a late event counts from the start
      ["2025-11-01", 10],
      ["2025-11-03", 20],
    ]);
    const current = cumulativeSeries("2025-11-01", perDay, new Date("2025-11-03T00:00:00Z"), true);
    expect(current.slice(0, 3)).toEqual([
      { day: "2025-11-01", actual: 15, projected: null },
      { day: "2025-11-02", actual: 15, projected: null },
      { day: "2025-11-03", actual: 35, projected: 35 },
    ]);
    expect(current).toHaveLength(30);
    expect(current.at(-1)).toEqual({ day: "2025-11-30", actual: null, projected: Math.round(35 + (35 / (2 * 86_400_000)) * 28 * 86_400_000) });
    const past = cumulativeSeries("2025-11-01", perDay, new Date("2026-01-01T00:00:00Z"), false);
    expect(past.at(-1)).toEqual({ day: "2025-11-30", actual: 35, projected: null });
  });
});
