import { describe, expect, it } from "vitest";
import { parseCron } from "./cron";

const next = (spec: string, after: string) => parseCron(spec).next(new Date(after)).toISOString();

describe("parseCron", () => {
  it.each([
    ["*/5 * * * *", "2031-01-01T00:03:00Z", "2031-01-01T00:05:00.000Z"],
    ["*/5 * * * *", "2031-01-01T00:05:00Z", "2031-01-01T00:10:00.000Z"],
    ["TZ=UTC 30 3 * * *", "2031-01-01T03:30:00Z", "2031-01-02T03:30:00.000Z"],
    ["TZ=UTC 15 * * * *", "2031-01-01T10:59:59Z", "2031-01-01T11:15:00.000Z"],
    ["0 9 * * MON-FRI", "2031-01-03T12:00:00Z", "2031-01-06T09:00:00.000Z"], // Friday → Monday
    ["0 0 1 JAN *", "2031-06-01T00:00:00Z", "2032-01-01T00:00:00.000Z"],
    ["0 0 29 2 *", "2031-01-01T00:00:00Z", "2032-02-29T00:00:00.000Z"],
    ["0 12 13 * 5", "2031-01-01T00:00:00Z", "2031-01-03T12:00:00.000Z"], // day 13 OR a Friday
    ["@hourly", "2031-01-01T10:00:00Z", "2031-01-01T11:00:00.000Z"],
    ["0,30 8-9 * * 7", "2031-01-04T00:00:00Z", "2031-01-05T08:00:00.000Z"], // 7 is Sunday
    ["@midnight", "2031-01-01T10:00:00Z", "2031-01-02T00:00:00.000Z"],
    // A zone moves the tick with the zone's offset, across a daylight-saving change too.
    ["TZ=Europe/Paris 0 9 * * *", "2031-01-01T00:00:00Z", "2031-01-01T08:00:00.000Z"],
    ["CRON_TZ=Europe/Paris 0 9 * * *", "2031-07-01T00:00:00Z", "2031-07-01T07:00:00.000Z"],
    ["TZ=America/New_York 30 2 * * *", "2031-03-08T12:00:00Z", "2031-03-09T07:00:00.000Z"], // 02:30 does not exist that day: the first time after the gap
  ])("%s after %s → %s", (spec, after, expected) => {
    expect(next(spec, after)).toBe(expected);
  });

  it("refuses what it cannot honour, naming the local executor", () => {
    expect(() => parseCron("TZ=Nowhere/Land 0 9 * * *")).toThrow(
      /local executor does not support the cron "TZ=Nowhere\/Land 0 9 \* \* \*" \(.*Invalid timezone/,
    );
    expect(() => parseCron("0 9 * *")).toThrow(/five fields/);
    expect(() => parseCron("0 0 9 * * *")).toThrow(/five fields/);
    expect(() => parseCron("61 * * * *")).toThrow(/Invalid value for minute: 61/);
    expect(() => parseCron("@every 5m")).toThrow(/does not support the cron "@every 5m" \(@every intervals\)/);
    expect(() => parseCron("0 0 31 2 *").next(new Date())).toThrow(/never fires/);
  });
});
