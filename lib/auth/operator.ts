// Platform operators: the people who run this Keel deployment, named by KEEL_OPERATOR_EMAILS. They
// change tenants' plans (app/operator); no tenant role, owner included, can. To anyone else the
// operator pages do not exist (404): the guard is requireOperator in ./guard.
import { eq } from "drizzle-orm";
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

async function emailOf(userId: string): Promise<string | null> {
  const [row] = await withUser(userId, (tx) => tx.select({ email: users.email }).from(users).where(eq(users.id, userId)));
  return row?.email ?? null;
}

/** The user as an operator, or null. The email is read from the database, not the session. */
export async function findOperator(userId: string, env: OperatorEnv = process.env): Promise<OperatorContext | null> {
  const allowed = operatorEmails(env);
  if (allowed.size === 0) return null;
  const email = await emailOf(userId);
  return email && allowed.has(email.toLowerCase()) ? { userId, email } : null;
}
