// Platform operators: the people who run this Keel deployment, named by KEEL_OPERATOR_EMAILS. They
// change tenants' plans (app/operator); no tenant role, owner included, can. To anyone else the
// operator pages do not exist (404): the guard is requireOperator in ./guard. The account's
// address must be verified: anyone can sign up with an operator's address before its owner does,
// but only its owner can follow the link mailed to it.
import { and, eq, isNotNull } from "drizzle-orm";
import { users } from "@/db/schema";
import { withUser } from "@/db/scope";

type OperatorEnv = Readonly<Record<string, string | undefined>>;

export interface OperatorContext {
  userId: string;
  email: string;
}

/** KEEL_OPERATOR_EMAILS: comma-separated, compared case-insensitively. */
export function operatorEmails(env: OperatorEnv = process.env): ReadonlySet<string> {
  return new Set(
    (env.KEEL_OPERATOR_EMAILS ?? "")
      .split(",")
      .map((email) => email.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** The account's address if it is verified, else null. */
async function verifiedEmailOf(userId: string): Promise<string | null> {
  const [row] = await withUser(userId, (tx) =>
    tx
      .select({ email: users.email })
      .from(users)
      .where(and(eq(users.id, userId), isNotNull(users.emailVerified))),
  );
  return row?.email ?? null;
}

/** The user as an operator, or null. The email, and that it is verified, is read from the database, not the session. */
export async function findOperator(userId: string, env: OperatorEnv = process.env): Promise<OperatorContext | null> {
  const allowed = operatorEmails(env);
  if (allowed.size === 0) return null;
  const email = await verifiedEmailOf(userId);
  return email && allowed.has(email.toLowerCase()) ? { userId, email } : null;
}
