// What a sign-in that ends in the second step or a passkey needs to open a session: the person
// and the workspace they open first, as lib/auth/authenticate.ts gives it after a password.
import { asc, eq } from "drizzle-orm";
import { memberships, users, type MemberRole } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { emailVerificationRequired } from "@/lib/mail/mail-settings";
import { unverifiedEmailMessage } from "../authenticate";

interface SignInUser {
  id: string;
  email: string;
  name: string;
  tenantId: string | null;
  role: MemberRole | null;
}

export async function findSignInUser(userId: string): Promise<SignInUser> {
  const found = await withSystem("two-factor sign-in: read the person and their first workspace", async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, userId));
    if (!user) return null;
    const [first] = await tx
      .select({ tenantId: memberships.tenantId, role: memberships.role })
      .from(memberships)
      .where(eq(memberships.userId, userId))
      .orderBy(asc(memberships.createdAt))
      .limit(1);
    return { user, first };
  });
  if (!found) throw new KeelError("unauthenticated", "This account no longer exists.");
  // A passkey is only ever added by someone signed in, but the rule is the password's: checked here too.
  if (emailVerificationRequired() && !found.user.emailVerified) throw new KeelError("forbidden", unverifiedEmailMessage);
  return {
    id: found.user.id,
    email: found.user.email,
    name: found.user.name,
    tenantId: found.first?.tenantId ?? null,
    role: found.first?.role ?? null,
  };
}
