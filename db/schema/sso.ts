// Single sign-on: provider identities linked to Keel users, and each workspace's sign-in policy.
import { boolean, index, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { tenants } from "./tenancy";

/**
 * One row per provider account linked to a Keel user. A later sign-in finds the user by
 * (provider, provider_account_id), never by email: an address that changes at the provider or in
 * Keel does not move the identity to someone else.
 */
export const ssoIdentities = pgTable(
  "sso_identities",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The Auth.js provider id: "oidc", "google", "github", "microsoft-entra-id". */
    provider: text("provider").notNull(),
    /** The provider's stable subject (OIDC `sub`, GitHub's numeric id). */
    providerAccountId: text("provider_account_id").notNull(),
    /** The address the provider asserted at the last sign-in (lower-cased), for the account page. */
    email: text("email"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("sso_identities_provider_account_unique").on(t.provider, t.providerAccountId), index("sso_identities_user_id_idx").on(t.userId)],
);
export type SsoIdentity = typeof ssoIdentities.$inferSelect;
export type NewSsoIdentity = typeof ssoIdentities.$inferInsert;

/** A workspace's sign-in policy; no row means members may sign in any way they can. */
export const workspaceSsoPolicies = pgTable("workspace_sso_policies", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  /** Members must have signed in through the deployment's OIDC provider (KEEL_OIDC_*). */
  requireSso: boolean("require_sso").notNull(),
  /** With requireSso: the address the provider asserted must be at this domain (lower-cased, no "@"). */
  emailDomain: text("email_domain"),
  updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
export type WorkspaceSsoPolicy = typeof workspaceSsoPolicies.$inferSelect;
