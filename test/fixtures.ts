// Builds tenants and members through the same domain functions the app uses.
import type { MemberRole } from "@/db/schema";
import type { TenantContext } from "@/lib/tenancy/context";
import { acceptInvitation, createInvitation } from "@/lib/tenancy/invitations";
import { signUp, signUpInvitee } from "@/lib/tenancy/sign-up";

let counter = 0;
export function uniqueEmail(label = "user"): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${++counter}@example.test`;
}

export const testPassword = "correct horse battery staple";

export async function createTenant(workspaceName = "Acme"): Promise<TenantContext & { email: string }> {
  const email = uniqueEmail("owner");
  const { userId, tenantId } = await signUp({ name: "Owner", email, password: testPassword, workspaceName });
  return { userId, tenantId, role: "owner", email };
}

export async function addMember(owner: TenantContext, role: Exclude<MemberRole, "owner"> = "member"): Promise<TenantContext & { email: string }> {
  const email = uniqueEmail(role);
  const { userId } = await signUpInvitee({ name: `A ${role}`, email, password: testPassword });
  const { secret } = await createInvitation(owner, { role, expiresInDays: 7 });
  await acceptInvitation({ tenantId: owner.tenantId, secret, userId });
  return { userId, tenantId: owner.tenantId, role, email };
}
