// Where outgoing mail goes, from the environment alone (README, "Mail"):
//   SMTP_URL, or SMTP_HOST (+ SMTP_PORT, SMTP_USER, SMTP_PASSWORD)  → that SMTP server
//   nothing set, in development (or KEEL_MAIL_OUTBOX=1)            → the development outbox
//   nothing set in production                                     → no mail: features that need it say so
import type SMTPTransport from "nodemailer/lib/smtp-transport";

type Env = Readonly<Record<string, string | undefined>>;

export type MailSettings =
  | { kind: "smtp"; transport: string | SMTPTransport.Options; from: string; description: string }
  | { kind: "outbox"; from: string; description: string }
  | { kind: "none"; description: string };

const isProduction = (env: Env) => env.NODE_ENV === "production";

function flag(env: Env, name: string): boolean | null {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return null;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new Error(`${name} must be true or false (got "${env[name]}")`);
}

/** The public origin emailed links start with: AUTH_URL, else the development server's default. */
export function appOrigin(env: Env = process.env): string {
  const configured = env.AUTH_URL?.trim();
  if (configured) return new URL(configured).origin;
  return `http://localhost:${env.PORT?.trim() || "3000"}`;
}

function defaultFrom(env: Env): string {
  let host = "";
  try {
    host = new URL(appOrigin(env)).hostname;
  } catch {
    // A malformed AUTH_URL is reported by the production checks; mail does not repeat it.
  }
  // "localhost" is not a valid mail domain for most servers; a reserved test domain is.
  return `Keel <no-reply@${host.includes(".") ? host : "keel.localhost"}>`;
}

function smtpFromParts(env: Env): SMTPTransport.Options | null {
  const host = env.SMTP_HOST?.trim();
  if (!host) return null;
  const rawPort = env.SMTP_PORT?.trim();
  const port = rawPort ? Number(rawPort) : 587;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`SMTP_PORT must be a port number (got "${rawPort}")`);
  const user = env.SMTP_USER?.trim();
  return {
    host,
    port,
    // 465 speaks TLS from the first byte; other ports upgrade with STARTTLS when the server offers it.
    secure: port === 465,
    auth: user ? { user, pass: env.SMTP_PASSWORD ?? "" } : undefined,
  };
}

export function mailSettings(env: Env = process.env): MailSettings {
  const from = env.SMTP_FROM?.trim() || defaultFrom(env);
  const url = env.SMTP_URL?.trim();
  if (url) {
    const { protocol, hostname, port } = new URL(url);
    if (protocol !== "smtp:" && protocol !== "smtps:") throw new Error(`SMTP_URL must start with smtp:// or smtps:// (got "${protocol}")`);
    return { kind: "smtp", transport: url, from, description: `SMTP ${hostname}:${port || (protocol === "smtps:" ? "465" : "587")}` };
  }
  const parts = smtpFromParts(env);
  if (parts) return { kind: "smtp", transport: parts, from, description: `SMTP ${parts.host}:${parts.port}` };
  if (!isProduction(env) || flag(env, "KEEL_MAIL_OUTBOX") === true) {
    return { kind: "outbox", from, description: `development outbox (${appOrigin(env)}/dev/outbox) — set SMTP_URL to send real mail` };
  }
  return {
    kind: "none",
    description: "not configured: verification, password reset and emailed invitations are unavailable — set SMTP_URL",
  };
}

/**
 * Whether a new account must confirm its email before signing in: KEEL_REQUIRE_EMAIL_VERIFICATION,
 * by default required in production when mail can be sent, and optional in development and tests.
 * A production server with no mail server at all starts with verification off, and its start-up
 * banner says so: a first `npm start` works, and nobody is locked out by a link never sent.
 */
export function emailVerificationRequired(env: Env = process.env): boolean {
  const setting = flag(env, "KEEL_REQUIRE_EMAIL_VERIFICATION");
  if (setting !== null) return setting;
  if (!isProduction(env)) return false;
  try {
    return mailSettings(env).kind !== "none";
  } catch {
    return true; // a malformed SMTP setting is refused at start (mailConfigProblems)
  }
}

/** A production server that requires verification but cannot send mail would let nobody in. */
export function mailConfigProblems(env: Env): string[] {
  env = { ...env, NODE_ENV: "production" };
  try {
    const settings = mailSettings(env);
    if (settings.kind === "none" && emailVerificationRequired(env)) {
      return ["KEEL_REQUIRE_EMAIL_VERIFICATION is on but no mail server is set: set SMTP_URL (or SMTP_HOST), or leave verification off."];
    }
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
