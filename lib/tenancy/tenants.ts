// Workspaces (tenants): creation with a unique slug, the caller's list for the switcher, renaming.
import { randomBytes } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { memberships, tenants, type MemberRole, type Tenant } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withTenant, withUser } from "@/db/scope";
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
 * Inserts a tenant and its owner inside `tx`. Slugs are unique across Keel: on a clash the slug
 * gets a random suffix, inside a savepoint so the surrounding transaction survives the attempt.
 */
export async function insertTenantWithOwner(tx: Tx, input: { tenantId: string; name: string; ownerId: string }): Promise<Tenant> {
  const base = slugify(input.name);
  for (let attempt = 0; attempt < 5; attempt++) {
    const slug = attempt === 0 ? base : `${base}-${randomBytes(3).toString("hex")}`;
    try {
      const [tenant] = await tx.transaction((sp) => sp.insert(tenants).values({ id: input.tenantId, name: input.name, slug }).returning());
      await tx.insert(memberships).values({ tenantId: input.tenantId, userId: input.ownerId, role: "owner" });
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
export async function createWorkspace(userId: string, name: string): Promise<Tenant> {
  const tenantId = crypto.randomUUID();
  return withTenant(tenantId, (tx) => insertTenantWithOwner(tx, { tenantId, name, ownerId: userId }), { userId });
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
