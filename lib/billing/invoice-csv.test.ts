// The CSV export: totals that match the Usage page and the invoice to the cent (open and closed),
// RFC 4180 quoting, names that cannot run as spreadsheet formulas, and owners and admins only.
import { describe, expect, it } from "vitest";
import { getAdminUsageReport } from "@/lib/usage/report";
import { addMember, createTenant } from "@/test/fixtures";
import { insertEvents, makeEvents, pickTotals, readEvents, totalsOf } from "@/test/usage-events";
import { closeTenantPeriods } from "./close-periods";
import { getInvoice } from "./invoice";
import { csvText, invoiceCsvHeader } from "./invoice-csv";
import { invoiceCsvResponse } from "./invoice-csv-response";
import { centsOf, centsText, microUsdText } from "./money";

/** RFC 4180, independently of the writer: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (quoted) {
      cell += c;
    } else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else {
      cell += c;
    }
  }
  if (cell || row.length) throw new Error("CSV does not end with CRLF");
  return rows;
}

const hostile = [
  '=HYPERLINK("http://attacker.example","Click")',
  "+cmd|' /C calc'!A0",
  "-2+3",
  "@SUM(A1:A9)",
  "\tleading tab",
  "comma, inside",
  'a "quoted" name',
  "line\nbreak",
];

describe("CSV export", () => {
  it("quotes and defuses cells", () => {
    expect(csvText("gpt-4o")).toBe("gpt-4o");
    expect(csvText("=1+1")).toBe("'=1+1");
    expect(csvText("-1")).toBe("'-1");
    expect(csvText("@x")).toBe("'@x");
    expect(csvText("\tx")).toBe("'\tx");
    expect(csvText("\rx")).toBe('"\'\rx"');
    expect(csvText("a,b")).toBe('"a,b"');
    expect(csvText('=a"b')).toBe('"\'=a""b"');
    expect(csvText("two\nlines")).toBe('"two\nlines"');
  });

  it("rounds each line half up and adds the rounded lines", () => {
    expect([0, 4_999, 5_000, 14_999, 15_000, 1_234_567].map(centsOf)).toEqual([0, 0, 1, 1, 2, 123]);
    expect(microUsdText(1_234_567)).toBe("1.234567");
    expect(microUsdText(5)).toBe("0.000005");
    expect(centsText(1_205)).toBe("12.05");
    expect(() => centsOf(-1)).toThrow();
  });

  it("exports a period whose totals match the page and the invoice to the cent, open and closed", async () => {
    const owner = await createTenant("CSV export");
    const member = await addMember(owner, "member");
    const events = makeEvents(
      owner.tenantId,
      600,
      "2025-09-01T00:00:00Z",
      "2025-10-01T00:00:00Z",
      { userIds: [owner.userId, member.userId], apiKeyIds: [null] },
      31,
    );
    hostile.forEach((name, i) => Object.assign(events[i]!, i % 2 === 0 ? { model: name } : { feature: name }));
    await insertEvents(owner.tenantId, events);
    const stored = await readEvents(owner.tenantId);

    const exportCsv = async () => {
      const response = await invoiceCsvResponse(owner, "2025-09");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="keel-csv-export[a-z0-9-]*-2025-09\.csv"$/);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the UTF-8 byte-order mark
      return parseCsv(new TextDecoder().decode(bytes));
    };

    for (const status of ["open", "closed"] as const) {
      if (status === "closed") await closeTenantPeriods(owner.tenantId, "2025-09-01");
      const rows = await exportCsv();
      expect(rows[0]).toEqual([...invoiceCsvHeader]);
      const lines = rows.slice(1).filter((r) => r[2] === "line");
      const total = rows.find((r) => r[2] === "total")!;
      expect(rows.every((r, i) => i === 0 || (r[0] === "2025-09" && r[1] === status))).toBe(true);

      // Every hostile name is in the file, defused, and nothing else starts like a formula.
      const names = lines.flatMap((r) => [r[3]!, r[4]!, r[5]!]);
      for (const name of hostile) expect(names).toContain(/^[=+\-@\t\r\n]/.test(name) ? `'${name}` : name);
      expect(names.filter((n) => /^[=+\-@\t\r\n]/.test(n))).toEqual([]);

      // The page, the invoice and the CSV agree, and all of them equal the events.
      const report = await getAdminUsageReport(owner, "2025-09-01");
      const invoice = await getInvoice(owner, "2025-09-01");
      expect(report.invoice).toEqual(invoice); // the page's invoice is the CSV's
      const expected = totalsOf(stored);
      expect(pickTotals(report.totals)).toEqual(expected);
      expect(invoice.totals.costMicroUsd).toBe(expected.costMicroUsd);
      expect(total.slice(6)).toEqual([
        String(expected.requests),
        String(expected.inputTokens),
        String(expected.outputTokens),
        microUsdText(report.totals.costMicroUsd),
        centsText(invoice.totals.amountCents),
      ]);
      const lineCents = lines.map((r) => Math.round(Number(r[10]) * 100));
      expect(lineCents.reduce((a, b) => a + b, 0)).toBe(invoice.totals.amountCents);
      const perLine = new Map<string, number>();
      for (const e of stored)
        perLine.set(`${e.provider}|${e.model}|${e.feature}`, (perLine.get(`${e.provider}|${e.model}|${e.feature}`) ?? 0) + e.costMicroUsd);
      expect(invoice.totals.amountCents).toBe([...perLine.values()].reduce((sum, micro) => sum + centsOf(micro), 0));
      // The page's subtotals by model and by feature add up to the same cents.
      expect(invoice.byModel.reduce((sum, m) => sum + m.amountCents, 0)).toBe(invoice.totals.amountCents);
      expect(invoice.byFeature.reduce((sum, f) => sum + f.amountCents, 0)).toBe(invoice.totals.amountCents);
    }
  });

  it("is for owners and admins only, and names a bad period", async () => {
    const owner = await createTenant("CSV roles");
    const member = await addMember(owner, "member");
    const admin = await addMember(owner, "admin");
    await expect(invoiceCsvResponse(member, "2025-09")).rejects.toMatchObject({ code: "forbidden", status: 403 });
    await expect(invoiceCsvResponse(member, "not-a-period")).rejects.toMatchObject({ code: "forbidden", status: 403 });
    await expect(getInvoice(member, "2025-09-01")).rejects.toMatchObject({ code: "forbidden" });
    await expect(invoiceCsvResponse(admin, "2025-13")).rejects.toMatchObject({ code: "invalid_input", status: 400 });
    expect((await invoiceCsvResponse(admin, "2025-09")).status).toBe(200);
  });
});
