// Wraps a route handler in the tenant guard and maps errors to JSON with the right status.
import { NextResponse } from "next/server";
import { requireTenant, type GuardOptions } from "@/lib/auth/guard";
import { isKeelError } from "@/lib/errors";
import type { TenantContext } from "@/lib/tenancy/context";
import { log } from "@/lib/observability/log";

export function errorResponse(error: unknown): NextResponse {
  if (isKeelError(error)) {
    return NextResponse.json({ error: { code: error.code, message: error.message } }, { status: error.status });
  }
  log.error({ err: error }, "route handler failed");
  return NextResponse.json({ error: { code: "internal", message: "Something went wrong on our side. Please try again." } }, { status: 500 });
}

export function withTenantRoute<P>(
  handler: (request: Request, ctx: TenantContext, route: { params: Promise<P> }) => Promise<Response>,
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
