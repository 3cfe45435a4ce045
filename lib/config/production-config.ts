// What `npm start` refuses to run without in production: secrets and origins that a development
// machine may generate or guess, but a public server must be given.
import { productionJobProblems } from "@/core/job-runtime";
import { mailConfigProblems } from "@/lib/mail/mail-settings";
import { readSsoSettings } from "@/lib/auth/sso/sso-settings";
import { maxOwnedWorkspaces, trustedProxyHops, type Env } from "./security-settings";

/** Problems with the environment for a production server; empty when it may start. */
export function productionConfigProblems(env: Env): string[] {
  const problems: string[] = [];
  const secret = env.AUTH_SECRET?.trim();
  if (!secret) {
    problems.push("AUTH_SECRET is not set. It signs session cookies: generate one with `openssl rand -base64 32`.");
  } else if (secret.length < 32) {
    problems.push("AUTH_SECRET is shorter than 32 characters: generate one with `openssl rand -base64 32`.");
  }
  const origin = env.AUTH_URL?.trim();
  if (!origin) {
    problems.push("AUTH_URL is not set. Set it to the public origin users reach Keel at, e.g. https://keel.example.com.");
  } else {
    let protocol = "";
    try {
      protocol = new URL(origin).protocol;
    } catch {
      // reported below
    }
    if (protocol !== "https:" && protocol !== "http:") problems.push(`AUTH_URL must be an http(s) URL (got "${origin}").`);
  }
  for (const check of [trustedProxyHops, maxOwnedWorkspaces, readSsoSettings]) {
    try {
      check(env);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  problems.push(...productionJobProblems(env));
  problems.push(...mailConfigProblems(env));
  return problems;
}
