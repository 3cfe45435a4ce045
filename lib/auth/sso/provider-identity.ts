// What a provider told us about the person, reduced to what the linking rule needs. Only an
// explicit "verified" from the provider counts: an address a provider merely reports (GitHub's
// public email, Entra ID's `email` claim, which a tenant admin can set to anything) is never
// trusted to take over a Keel account.
import { z } from "zod";
import type { SsoProviderId } from "./sso-settings";

export interface ProviderIdentity {
  provider: SsoProviderId;
  /** The provider's stable subject. */
  providerAccountId: string;
  /** Lower-cased; null when the provider gave none. */
  email: string | null;
  /** Whether the provider vouches that the person controls `email`. */
  emailVerified: boolean;
  name: string | null;
}

const truthy = z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]);

const profileSchema = z.object({
  email: z.string().trim().max(254).nullish().catch(null),
  email_verified: truthy.nullish().catch(null),
  // Entra ID: "email domain owner verified", an optional claim an app registration can ask for.
  xms_edov: truthy.nullish().catch(null),
  name: z.string().trim().max(200).nullish().catch(null),
  login: z.string().trim().max(200).nullish().catch(null),
});

const providerIds = z.enum(["oidc", "google", "github", "microsoft-entra-id"]) satisfies z.ZodType<SsoProviderId>;

/** Null when the sign-in did not come from one of Keel's SSO providers. */
export function providerIdentity(provider: unknown, providerAccountId: unknown, rawProfile: unknown): ProviderIdentity | null {
  const id = providerIds.safeParse(provider);
  const subject = z.string().min(1).max(255).safeParse(providerAccountId);
  if (!id.success || !subject.success) return null;
  const parsed = profileSchema.safeParse(rawProfile);
  const profile: Partial<z.infer<typeof profileSchema>> = parsed.success ? parsed.data : {};
  const email = profile.email && z.email().safeParse(profile.email).success ? profile.email.toLowerCase() : null;
  const verified = id.data === "microsoft-entra-id" ? profile.email_verified === true || profile.xms_edov === true : profile.email_verified === true;
  return { provider: id.data, providerAccountId: subject.data, email, emailVerified: Boolean(email) && verified, name: profile.name || profile.login || null };
}
