// Account creation. A new user either opens their own workspace or joins one by invitation.
import { users } from "@/db/schema";
import type { Tx } from "@/db/client";
import { withSystem } from "@/db/scope";
import { hashPassword } from "@/lib/auth/password";
import { KeelError } from "@/lib/errors";
import type { InviteeSignUpInput, SignUpInput } from "./schemas";
import { insertTenantWithOwner, isUniqueViolation } from "./tenants";

async function insertUser(tx: Tx, input: InviteeSignUpInput, passwordHash: string): Promise<string> {
  try {
    // Savepoint: a duplicate email must surface as a form error, not abort the transaction.
    const [user] = await tx.transaction((sp) => sp.insert(users).values({ email: input.email, name: input.name, passwordHash }).returning({ id: users.id }));
    return user!.id;
  } catch (error) {
    if (isUniqueViolation(error, "users_email_unique")) {
      throw new KeelError("conflict", "An account with this email already exists.", {
        email: "An account with this email already exists. Sign in instead.",
      });
    }
    throw error;
  }
}

/** Creates the user, their workspace and their owner membership in one transaction. */
export async function signUp(input: SignUpInput): Promise<{ userId: string; tenantId: string }> {
  const passwordHash = await hashPassword(input.password);
  // System path: the user does not exist yet, so no tenant or user context can authorise this.
  return withSystem("sign-up: create user and workspace", async (tx) => {
    const userId = await insertUser(tx, input, passwordHash);
    const tenantId = crypto.randomUUID();
    await insertTenantWithOwner(tx, { tenantId, name: input.workspaceName, ownerId: userId });
    return { userId, tenantId };
  });
}

/** Creates only the user; the caller then accepts the invitation that brought them here. */
export async function signUpInvitee(input: InviteeSignUpInput): Promise<{ userId: string }> {
  const passwordHash = await hashPassword(input.password);
  return withSystem("sign-up: create invited user", async (tx) => ({ userId: await insertUser(tx, input, passwordHash) }));
}
