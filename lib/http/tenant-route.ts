// Wraps a route handler in the tenant guard and maps errors to JSON with the right status.
import { requireTenant, type GuardOptions, type TenantSession } from "@/lib/auth/guard";
import { errorResponse } from "./error-response";

export function withTenantRoute<P>(
  handler: (request: Request, ctx: TenantSession, route: { params: Promise<P> }) => Promise<Response>,
  options: GuardOptions = {},
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
