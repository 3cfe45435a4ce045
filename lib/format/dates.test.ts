import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatDateTimeSeconds, formatDay, formatLongDate, formatMonth } from "./dates";

/** Every product source file (not tests) under app/, components/ and lib/. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

describe("dates", () => {
  it("are formatted for display in this module only", () => {
    const formatting = /Intl\.DateTimeFormat|\.toLocaleDateString\(|\.toLocaleTimeString\(|\.toUTCString\(|\.toDateString\(|\.toTimeString\(|\.toGMTString\(/;
    const elsewhere = ["app", "components", "lib"]
      .flatMap((dir) => sources(dir))
      .filter((file) => path.normalize(file) !== path.normalize("lib/format/dates.ts"))
      .filter((file) => formatting.test(readFileSync(file, "utf8")));
    expect(elsewhere).toEqual([]);
  });

  it("come out in UTC, the same on the server and in any browser", () => {
    const lateEvening = "2026-10-03T23:30:09Z";
    expect(formatDate(lateEvening)).toBe("Oct 3, 2026");
    expect(formatLongDate(new Date(lateEvening))).toBe("October 3, 2026");
    expect(formatDateTime(Date.parse(lateEvening))).toBe("Oct 3, 2026, 11:30 PM");
    expect(formatDateTimeSeconds(lateEvening)).toBe("Oct 3, 2026, 11:30:09 PM");
    expect(formatDay("2026-10-03")).toBe("Oct 3");
    expect(formatMonth("2026-10-01")).toBe("October 2026");
  });
});
