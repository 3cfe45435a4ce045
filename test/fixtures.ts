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

let addressCounter = 0;
/** A client address no other fixture or test uses (documentation range, one IPv6 /64 each), so sign-up limits never bite fixtures. */
export function uniqueAddress(): string {
  return `2001:db8:${(process.pid % 0xffff).toString(16)}:${(++addressCounter + 0x8000).toString(16)}::1`;
}

export async function createTenant(workspaceName = "Acme"): Promise<TenantContext & { email: string }> {
  const email = uniqueEmail("owner");
  const { userId, tenantId } = await signUp({ name: "Owner", email, password: testPassword, workspaceName }, { clientAddress: uniqueAddress() });
  return { userId, tenantId, role: "owner", email };
}

export async function addMember(owner: TenantContext, role: Exclude<MemberRole, "owner"> = "member"): Promise<TenantContext & { email: string }> {
  const email = uniqueEmail(role);
  const { userId } = await signUpInvitee({ name: `A ${role}`, email, password: testPassword }, { clientAddress: uniqueAddress() });
  const { secret } = await createInvitation(owner, { role, expiresInDays: 7 });
  await acceptInvitation({ tenantId: owner.tenantId, secret, userId });
  return { userId, tenantId: owner.tenantId, role, email };
}
