// Workspaces (tenants): creation with a unique slug and a cap on how many one user owns, the
// caller's list for the switcher, renaming.
import { randomBytes } from "node:crypto";
import { and, asc, count, eq, sql } from "drizzle-orm";
import { collections, memberships, tenants, type MemberRole, type Tenant } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant, withUser } from "@/db/scope";
import { maxOwnedWorkspaces } from "@/lib/config/security-settings";
import { KeelError } from "@/lib/errors";
import type { TenantContext } from "./context";
import { recordAudit } from "./audit";

export function slugify(name: string): string {
  const base = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return base || "workspace";
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const { code, constraint_name, constraint: c } = e as { code?: string; constraint_name?: string; constraint?: string };
    if (code === "23505" && (constraint_name === constraint || c === constraint)) return true;
  }
  return false;
}
export { isUniqueViolation };

/**
 * Refuses when `userId` already owns `max` workspaces. A transaction-scoped advisory lock keyed by
 * the user makes concurrent creations for one user take turns, so two cannot both pass the count
 * (it needs no privilege on any table, and it ends with the transaction).
 */
async function assertMayOwnAnother(tx: Tx, userId: string, max: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`keel:owned-workspaces:${userId}`}, 0))`);
  const [row] = await tx
    .select({ owned: count() })
    .from(memberships)
    .where(and(eq(memberships.userId, userId), eq(memberships.role, "owner")));
  if ((row?.owned ?? 0) >= max) {
    const message = `You already own ${max} workspace${max === 1 ? "" : "s"}, the most one account may own. Make someone else the owner of one first.`;
    throw new KeelError("forbidden", message, { workspaceName: message });
  }
}

export interface NewTenantInput {
  tenantId: string;
  name: string;
  ownerId: string;
  /** How many workspaces the owner may own, this one included (default: KEEL_MAX_OWNED_WORKSPACES). */
  maxOwnedWorkspaces?: number;
}

/**
 * Inserts a tenant and its owner inside `tx`, if the owner may own another. Slugs are unique
 * across Keel: on a clash the slug gets a random suffix, inside a savepoint so the surrounding
 * transaction survives the attempt.
 */
const DEFAULT_COLLECTION_NAME = "General";

export async function insertTenantWithOwner(tx: Tx, input: NewTenantInput): Promise<Tenant> {
  await assertMayOwnAnother(tx, input.ownerId, input.maxOwnedWorkspaces ?? maxOwnedWorkspaces());
  const base = slugify(input.name);
  for (let attempt = 0; attempt < 5; attempt++) {
    const slug = attempt === 0 ? base : `${base}-${randomBytes(3).toString("hex")}`;
    try {
      const [tenant] = await tx.transaction((sp) => sp.insert(tenants).values({ id: input.tenantId, name: input.name, slug }).returning());
      await tx.insert(memberships).values({ tenantId: input.tenantId, userId: input.ownerId, role: "owner" });
      // Where uploads go until people make collections of their own.
      await tx.insert(collections).values({ tenantId: input.tenantId, name: DEFAULT_COLLECTION_NAME, isDefault: true, createdBy: input.ownerId });
      await recordAudit(tx, {
        tenantId: input.tenantId,
        actorUserId: input.ownerId,
        action: "tenant.created",
        targetType: "tenant",
        targetId: input.tenantId,
        metadata: { slug },
      });
      return tenant!;
    } catch (error) {
      if (!isUniqueViolation(error, "tenants_slug_unique")) throw error;
    }
  }
  throw new Error("Could not find a free workspace slug");
}

/** An existing user opens another workspace; the new tenant's own context authorises the insert. */
export async function createWorkspace(userId: string, name: string, options: Pick<NewTenantInput, "maxOwnedWorkspaces"> = {}): Promise<Tenant> {
  const tenantId = crypto.randomUUID();
  return withTenant(tenantId, (tx) => insertTenantWithOwner(tx, { tenantId, name, ownerId: userId, ...options }), { userId });
}

export interface TenantOfUser {
  id: string;
  name: string;
  slug: string;
  role: MemberRole;
}

/** The tenants a user belongs to, for the switcher; row-level security limits it to their own. */
export function listTenantsOfUser(userId: string): Promise<TenantOfUser[]> {
  return withUser(userId, (tx) =>
    tx
      .select({ id: tenants.id, name: tenants.name, slug: tenants.slug, role: memberships.role })
      .from(memberships)
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .where(eq(memberships.userId, userId))
      .orderBy(asc(tenants.name)),
  );
}

export async function getTenant(ctx: TenantContext): Promise<Tenant> {
  const [tenant] = await withTenant(ctx.tenantId, (tx) => tx.select().from(tenants).where(eq(tenants.id, ctx.tenantId)), { userId: ctx.userId });
  if (!tenant) throw new Error(`Tenant ${ctx.tenantId} not visible in its own context`);
  return tenant;
}

export async function renameTenant(ctx: TenantContext, name: string): Promise<void> {
  await withTenant(
    ctx.tenantId,
    async (tx) => {
      await tx.update(tenants).set({ name }).where(eq(tenants.id, ctx.tenantId));
      await recordAudit(tx, {
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        action: "tenant.renamed",
        targetType: "tenant",
        targetId: ctx.tenantId,
        metadata: { name },
      });
    },
    { userId: ctx.userId },
  );
}
