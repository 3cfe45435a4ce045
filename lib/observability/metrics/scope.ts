// Where the figures are read: a tenant's own rows under row-level security, or, for platform
// operators, every tenant's on the system path. Queries also name the tenant in their WHERE
// clause, so ownership is in the query as well as in the policy.
import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "@/db/engine";
import { withSystem, withTenant } from "@/db/scope";
import type { ObservabilityScope } from "../metric-types";

/** `tenant_id = …` for a tenant, `true` for the platform. */
export type TenantFilter = (column: SQL) => SQL;

export function tenantFilterOf(scope: ObservabilityScope): TenantFilter {
  return scope.kind === "tenant" ? (column) => sql`${column} = ${scope.tenantId}::uuid` : () => sql`true`;
}

export function inScope<T>(scope: ObservabilityScope, fn: (tx: Tx, filter: TenantFilter) => Promise<T>): Promise<T> {
  const filter = tenantFilterOf(scope);
  if (scope.kind === "tenant") return withTenant(scope.tenantId, (tx) => fn(tx, filter));
  return withSystem("observability: platform operators' figures across every tenant", (tx) => fn(tx, filter));
}

/**
 * Chat answers are private to their authors (row-level security on chat_messages), even from the
 * tenant's admins, yet the tenant's correction and completion rates count all of them. Only
 * counts leave this path, filtered to the one tenant the guard admitted.
 */
export function inAnswerScope<T>(scope: ObservabilityScope, fn: (tx: Tx, filter: TenantFilter) => Promise<T>): Promise<T> {
  return withSystem("observability: a tenant's (or the platform's) answer counts, never their text", (tx) => fn(tx, tenantFilterOf(scope)));
}
