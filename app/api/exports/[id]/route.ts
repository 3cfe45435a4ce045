import { exportDownloadResponse } from "@/lib/exports/export-download";
import { withTenantRoute } from "@/lib/http/guarded-route";

export const dynamic = "force-dynamic";

/** An export's zip, for the workspace's owners (tenant-scoped, throttled, 404 once expired). */
export const GET = withTenantRoute<{ id: string }>(async (_request, ctx, route) => exportDownloadResponse(ctx, (await route.params).id), { role: "owner" });
