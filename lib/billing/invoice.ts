// Invoice-ready totals of one billing period: lines per provider, model and feature, each rounded
// to cents, and subtotals by model and by feature that add those rounded lines. A closed period
// reads its snapshot; an open one is computed from the rollups the same way the close does.
import { sql } from "drizzle-orm";
import { rawRows } from "@/db/raw-rows";
import { withTenant } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";
import { centsOf } from "./money";

export interface InvoiceFigures {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: number;
  savedMicroUsd: number;
  amountCents: number;
}

export interface InvoiceLine extends InvoiceFigures {
  provider: string;
  model: string;
  feature: string;
}

export interface Invoice {
  periodStart: string;
  status: "open" | "closed";
  closedAt: Date | null;
  lines: InvoiceLine[];
  byModel: (InvoiceFigures & { provider: string; model: string })[];
  byFeature: (InvoiceFigures & { feature: string })[];
  totals: InvoiceFigures;
  /** Events dated in an earlier, already closed period and billed in this one. */
  late: { requests: number; costMicroUsd: number };
}

export function requireBillingAccess(ctx: TenantContext): void {
  if (!hasRole(ctx.role, "admin")) throw new KeelError("forbidden", "Billing is visible to owners and admins only.");
}

const emptyFigures = (): InvoiceFigures => ({ requests: 0, inputTokens: 0, outputTokens: 0, costMicroUsd: 0, savedMicroUsd: 0, amountCents: 0 });

function addInto(target: InvoiceFigures, line: InvoiceFigures): void {
  target.requests += line.requests;
  target.inputTokens += line.inputTokens;
  target.outputTokens += line.outputTokens;
  target.costMicroUsd += line.costMicroUsd;
  target.savedMicroUsd += line.savedMicroUsd;
  target.amountCents += line.amountCents;
}

function subtotals<T extends object>(lines: InvoiceLine[], keyOf: (line: InvoiceLine) => string, labelOf: (line: InvoiceLine) => T): (T & InvoiceFigures)[] {
  const groups = new Map<string, T & InvoiceFigures>();
  for (const line of lines) {
    const key = keyOf(line);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ...labelOf(line), ...emptyFigures() }));
    addInto(group, line);
  }
  return [...groups.values()].sort((a, b) => b.amountCents - a.amountCents || b.costMicroUsd - a.costMicroUsd);
}

/** Subtotals and the total from the rounded lines: every figure on the invoice adds up. */
export function summarizeLines(lines: InvoiceLine[]): Pick<Invoice, "byModel" | "byFeature" | "totals"> {
  const totals = emptyFigures();
  for (const line of lines) addInto(totals, line);
  return {
    byModel: subtotals(
      lines,
      (l) => `${l.provider}\u0000${l.model}`,
      (l) => ({ provider: l.provider, model: l.model }),
    ),
    byFeature: subtotals(
      lines,
      (l) => l.feature,
      (l) => ({ feature: l.feature }),
    ),
    totals,
  };
}

interface LineRow {
  provider: string;
  model: string;
  feature: string;
  requests: string | number;
  input_tokens: string | number;
  output_tokens: string | number;
  cost_micro_usd: string | number;
  saved_micro_usd: string | number;
  amount_cents?: string | number;
}

function toLine(row: LineRow): InvoiceLine {
  const costMicroUsd = Number(row.cost_micro_usd);
  return {
    provider: row.provider,
    model: row.model,
    feature: row.feature,
    requests: Number(row.requests),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    costMicroUsd,
    savedMicroUsd: Number(row.saved_micro_usd),
    // A snapshot keeps the amount it was closed with; an open period rounds the same way.
    amountCents: row.amount_cents === undefined ? centsOf(costMicroUsd) : Number(row.amount_cents),
  };
}

const byLineKey = (a: InvoiceLine, b: InvoiceLine) =>
  a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model) || a.feature.localeCompare(b.feature);

export async function getInvoice(ctx: TenantContext, periodStart: string): Promise<Invoice> {
  requireBillingAccess(ctx);
  return withTenant(
    ctx.tenantId,
    async (tx) => {
      const [closed] = await rawRows<{ closed_at: Date | string; late_requests: string | number; late_cost_micro_usd: string | number }>(
        tx,
        sql`select closed_at, late_requests, late_cost_micro_usd from billing_periods
            where tenant_id = ${ctx.tenantId}::uuid and period_start = ${periodStart}::date`,
      );
      if (closed) {
        const rows = await rawRows<LineRow>(
          tx,
          sql`select provider, model, feature, requests, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, amount_cents
              from billing_lines where tenant_id = ${ctx.tenantId}::uuid and period_start = ${periodStart}::date`,
        );
        const lines = rows.map(toLine).sort(byLineKey);
        return {
          periodStart,
          status: "closed" as const,
          closedAt: new Date(closed.closed_at),
          lines,
          ...summarizeLines(lines),
          late: { requests: Number(closed.late_requests), costMicroUsd: Number(closed.late_cost_micro_usd) },
        };
      }
      const rows = await rawRows<LineRow & { late_requests: string | number; late_cost_micro_usd: string | number }>(
        tx,
        sql`select provider, model, feature, sum(requests) as requests, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,
                   sum(cost_micro_usd) as cost_micro_usd, sum(saved_micro_usd) as saved_micro_usd,
                   coalesce(sum(requests) filter (where day < period_start), 0) as late_requests,
                   coalesce(sum(cost_micro_usd) filter (where day < period_start), 0) as late_cost_micro_usd
            from usage_rollups where tenant_id = ${ctx.tenantId}::uuid and period_start = ${periodStart}::date
            group by provider, model, feature`,
      );
      const lines = rows.map(toLine).sort(byLineKey);
      return {
        periodStart,
        status: "open" as const,
        closedAt: null,
        lines,
        ...summarizeLines(lines),
        late: {
          requests: rows.reduce((sum, r) => sum + Number(r.late_requests), 0),
          costMicroUsd: rows.reduce((sum, r) => sum + Number(r.late_cost_micro_usd), 0),
        },
      };
    },
    { userId: ctx.userId },
  );
}
