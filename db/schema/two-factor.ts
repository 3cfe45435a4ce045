// Second factors (issue 19.5): an authenticator app, recovery codes and passkeys per person; the
// short-lived challenges a second step or a passkey ceremony is bound to; and a workspace's rule
// that its members have a second factor. lib/auth/two-factor/ is the only code that reads them.
import { bigint, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { tenants } from "./tenancy";

export const userTotp = pgTable("user_totp", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  /** The base32 secret, AES-256-GCM under a key derived from AUTH_SECRET (lib/auth/two-factor/secret-box.ts). */
  secretCiphertext: text("secret_ciphertext").notNull(),
  /** Null while set-up waits for its first code: an unconfirmed secret is not a second factor. */
  confirmedAt: timestamp("confirmed_at", { withTimezone: true }),
  /** The 30-second step of the last code accepted: a code is good once (replay). */
  lastUsedStep: bigint("last_used_step", { mode: "number" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
export type UserTotp = typeof userTotp.$inferSelect;

export const userRecoveryCodes = pgTable(
  "user_recovery_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** sha256 of the normalised code; the code itself is shown once and never stored. */
    codeHash: text("code_hash").notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("user_recovery_codes_user_id_idx").on(t.userId)],
);
export type UserRecoveryCode = typeof userRecoveryCodes.$inferSelect;

export const userPasskeys = pgTable(
  "user_passkeys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The credential id, base64url, as the authenticator returns it. */
    credentialId: text("credential_id").notNull().unique(),
    /** The COSE public key, base64url. */
    publicKey: text("public_key").notNull(),
    /** The signature counter last seen; a lower one on sign-in means a cloned authenticator. */
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    /** Comma-separated transports ("internal,hybrid"), hints for the browser. */
    transports: text("transports").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [index("user_passkeys_user_id_idx").on(t.userId)],
);
export type UserPasskey = typeof userPasskeys.$inferSelect;

export const twoFactorChallengePurposes = ["sign_in", "passkey_sign_in", "passkey_register"] as const;
export type TwoFactorChallengePurpose = (typeof twoFactorChallengePurposes)[number];

export const twoFactorChallenges = pgTable(
  "two_factor_challenges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Whose second step this is; null for a passwordless passkey sign-in (nobody is known yet). */
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: twoFactorChallengePurposes }).notNull(),
    /** sha256 of the secret in the browser's cookie (or, for a registration, handed to the page). */
    tokenHash: text("token_hash").notNull().unique(),
    /** The WebAuthn challenge the authenticator must sign, once one was asked for. */
    webauthnChallenge: text("webauthn_challenge"),
    failures: integer("failures").notNull().default(0),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("two_factor_challenges_expires_at_idx").on(t.expiresAt)],
);
export type TwoFactorChallenge = typeof twoFactorChallenges.$inferSelect;

/** A row means the workspace requires a second factor of every member. */
export const tenantTwoFactorPolicies = pgTable("tenant_two_factor_policies", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  requiredBy: uuid("required_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
