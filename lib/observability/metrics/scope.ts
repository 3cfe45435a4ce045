// Where the figures are read: a tenant's own rows under row-level security, or, for platform
// operators, every tenant's on the system path. Queries also name the tenant in their WHERE
// clause, so ownership is in the query as well as in the policy.
import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "@/db/types";
import { withSystem, withTenant } from "@/db/scope";
import type { ObservabilityScope } from "../metric-types";

/** `tenant_id = …` for a tenant, `true` for the platform. */
export type TenantFilter = (column: SQL) => SQL;

function tenantFilterOf(scope: ObservabilityScope): TenantFilter {
  return scope.kind === "tenant" ? (column) => sql`${column} = ${scope.tenantId}::uuid` : () => sql`true`;
}

export function inScope<T>(scope: ObservabilityScope, fn: (tx: Tx, filter: TenantFilter) => Promise<T>): Promise<T> {
  const filter = tenantFilterOf(scope);
  if (scope.kind === "tenant") return withTenant(scope.tenantId, (tx) => fn(tx, filter));
  return withSystem("observability: platform operators' figures across every tenant", (tx) => fn(tx, filter));
}
