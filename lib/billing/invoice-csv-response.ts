// GET /api/billing/[period]/csv: one period's invoice as a CSV download, for owners and admins.
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { getTenant } from "@/lib/tenancy/tenants";
import { getInvoice, requireBillingAccess } from "./invoice";
import { invoiceCsv, invoiceCsvFileName } from "./invoice-csv";
import { periodParamSchema } from "./periods";

export async function invoiceCsvResponse(ctx: TenantContext, periodParam: string): Promise<Response> {
  // The role first: a member learns nothing, not even whether the period is well-formed.
  requireBillingAccess(ctx);
  const period = periodParamSchema.safeParse(periodParam);
  if (!period.success) throw new KeelError("invalid_input", period.error.issues[0]?.message ?? "Invalid period.");
  const [invoice, tenant] = await Promise.all([getInvoice(ctx, period.data), getTenant(ctx)]);
  // A byte-order mark so spreadsheet programs read the names as UTF-8.
  return new Response(`\uFEFF${invoiceCsv(invoice)}`, {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${invoiceCsvFileName(tenant.slug, period.data)}"`,
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
