// Who may observe what. Owners and admins: their own workspace, whatever the URL asks for. Platform
// operators (KEEL_OPERATOR_EMAILS): the whole platform or any one tenant. Members: nothing.
import { z } from "zod";
import type { TenantContext } from "@/lib/tenancy/context";
import { hasRole } from "@/lib/tenancy/roles";
import type { ObservabilityScope } from "./metric-types";

const scopeParamSchema = z.union([z.literal("platform"), z.uuid()]);

export function resolveObservabilityScope(ctx: TenantContext, isOperator: boolean, requested: unknown): ObservabilityScope | null {
  const parsed = scopeParamSchema.safeParse(requested);
  if (isOperator) {
    if (parsed.success) return parsed.data === "platform" ? { kind: "platform" } : { kind: "tenant", tenantId: parsed.data };
    return hasRole(ctx.role, "admin") ? { kind: "tenant", tenantId: ctx.tenantId } : { kind: "platform" };
  }
  return hasRole(ctx.role, "admin") ? { kind: "tenant", tenantId: ctx.tenantId } : null;
}
