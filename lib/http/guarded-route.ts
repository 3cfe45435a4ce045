// The route-handler builders: every method a route.ts exports is `withTenantRoute(handler, { role })`,
// `withApiKey(handler)` (lib/openai-compat, /api/v1) or `publicRoute(reason, handler)` (public-route.ts), so who may
// call it is declared where it is exported (scripts/eslint/entry-point-guards.mjs fails one without).
// Errors become JSON with the right status.
import { requireTenant, type EntryPointGuard, type TenantSession } from "@/lib/auth/guard";
import { errorResponse } from "./error-response";

export function withTenantRoute<P>(
  handler: (request: Request, ctx: TenantSession, route: { params: Promise<P> }) => Promise<Response>,
  options: EntryPointGuard,
) {
  return async (request: Request, route: { params: Promise<P> }): Promise<Response> => {
    try {
      const ctx = await requireTenant(options);
      return await handler(request, ctx, route);
    } catch (error) {
      return errorResponse(error);
    }
  };
}
