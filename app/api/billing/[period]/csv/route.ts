import { invoiceCsvResponse } from "@/lib/billing/invoice-csv-response";
import { withTenantRoute } from "@/lib/http/guarded-route";

export const dynamic = "force-dynamic";

export const GET = withTenantRoute<{ period: string }>(async (_request, ctx, route) => invoiceCsvResponse(ctx, (await route.params).period), {
  role: "admin",
});
