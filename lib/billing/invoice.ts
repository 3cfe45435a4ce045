// Invoice-ready totals of one billing period: lines per provider, model and feature, each rounded
// to cents, and subtotals by model and by feature that add those rounded lines. A closed period
// reads its snapshot; an open one is computed from the rollups the same way the close does.
import { sql } from "drizzle-orm";
import { rawRows } from "@/db/raw-rows";
import type { Tx } from "@/db/client";
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

interface InvoiceLine extends InvoiceFigures {
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
function summarizeLines(lines: InvoiceLine[]): Pick<Invoice, "byModel" | "byFeature" | "totals"> {
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
  amount_cents: string | number;
}

const byLineKey = (a: InvoiceLine, b: InvoiceLine) =>
  a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model) || a.feature.localeCompare(b.feature);

/** Rollup figures an open period's invoice is made of; `late`: dated before the period (billed here). */
export interface InvoiceSource {
  provider: string;
  model: string;
  feature: string;
  late: boolean;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicroUsd: number;
  savedMicroUsd: number;
}

/** An open period's invoice: lines summed from the rollups and rounded exactly as the close rounds them. */
function openInvoice(periodStart: string, sources: InvoiceSource[]): Invoice {
  const lines = new Map<string, InvoiceLine>();
  const late = { requests: 0, costMicroUsd: 0 };
  for (const s of sources) {
    const key = `${s.provider}\u0000${s.model}\u0000${s.feature}`;
    let line = lines.get(key);
    if (!line) lines.set(key, (line = { provider: s.provider, model: s.model, feature: s.feature, ...emptyFigures() }));
    addInto(line, { ...s, amountCents: 0 });
    if (s.late) {
      late.requests += s.requests;
      late.costMicroUsd += s.costMicroUsd;
    }
  }
  const sorted = [...lines.values()].map((line) => ({ ...line, amountCents: centsOf(line.costMicroUsd) })).sort(byLineKey);
  return { periodStart, status: "open", closedAt: null, lines: sorted, ...summarizeLines(sorted), late };
}

/**
 * The invoice of a period inside the caller's transaction: a closed period's snapshot, else the
 * open figures from `sources` when the caller has read the rollups already, or from the rollups.
 */
export async function readInvoice(tx: Tx, tenantId: string, periodStart: string, sources?: InvoiceSource[]): Promise<Invoice> {
  const [closed] = await rawRows<{ closed_at: Date | string; late_requests: string | number; late_cost_micro_usd: string | number }>(
    tx,
    sql`select closed_at, late_requests, late_cost_micro_usd from billing_periods
        where tenant_id = ${tenantId}::uuid and period_start = ${periodStart}::date`,
  );
  if (closed) {
    const rows = await rawRows<LineRow>(
      tx,
      sql`select provider, model, feature, requests, input_tokens, output_tokens, cost_micro_usd, saved_micro_usd, amount_cents
          from billing_lines where tenant_id = ${tenantId}::uuid and period_start = ${periodStart}::date`,
    );
    const lines = rows
      .map((r) => ({
        provider: r.provider,
        model: r.model,
        feature: r.feature,
        requests: Number(r.requests),
        inputTokens: Number(r.input_tokens),
        outputTokens: Number(r.output_tokens),
        costMicroUsd: Number(r.cost_micro_usd),
        savedMicroUsd: Number(r.saved_micro_usd),
        // As closed: the snapshot keeps the amounts it was issued with.
        amountCents: Number(r.amount_cents),
      }))
      .sort(byLineKey);
    return {
      periodStart,
      status: "closed",
      closedAt: new Date(closed.closed_at),
      lines,
      ...summarizeLines(lines),
      late: { requests: Number(closed.late_requests), costMicroUsd: Number(closed.late_cost_micro_usd) },
    };
  }
  if (sources) return openInvoice(periodStart, sources);
  const rows = await rawRows<Omit<LineRow, "amount_cents"> & { late: boolean }>(
    tx,
    sql`select provider, model, feature, day < period_start as late, sum(requests) as requests, sum(input_tokens) as input_tokens,
               sum(output_tokens) as output_tokens, sum(cost_micro_usd) as cost_micro_usd, sum(saved_micro_usd) as saved_micro_usd
        from usage_rollups where tenant_id = ${tenantId}::uuid and period_start = ${periodStart}::date
        group by provider, model, feature, day < period_start`,
  );
  return openInvoice(
    periodStart,
    rows.map((r) => ({
      provider: r.provider,
      model: r.model,
      feature: r.feature,
      late: r.late,
      requests: Number(r.requests),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      costMicroUsd: Number(r.cost_micro_usd),
      savedMicroUsd: Number(r.saved_micro_usd),
    })),
  );
}

export async function getInvoice(ctx: TenantContext, periodStart: string): Promise<Invoice> {
  requireBillingAccess(ctx);
  return withTenant(ctx.tenantId, (tx) => readInvoice(tx, ctx.tenantId, periodStart), { userId: ctx.userId });
}
