// Sends one message: over SMTP through nodemailer, or into the development outbox (a table shown
// on /dev/outbox, plus one line in the terminal), or refuses when production has no mail server.
import nodemailer, { type Transporter } from "nodemailer";
import { desc, eq } from "drizzle-orm";
import { mailOutbox, type OutboxMessage } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { KeelError } from "@/lib/errors";
import { log } from "@/core/log";
import { appOrigin, mailSettings, type MailSettings } from "./mail-settings";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SentMail {
  via: "smtp" | "outbox";
  /** The SMTP message id, or the outbox row's id. */
  id: string;
}

// One pooled transport per configuration and process: opening an SMTP connection per message
// would cost a TLS handshake each time.
const holder = globalThis as typeof globalThis & { __keelMailTransports?: Map<string, Transporter> };
const transports = (holder.__keelMailTransports ??= new Map());

function transportFor(settings: Extract<MailSettings, { kind: "smtp" }>): Transporter {
  const key = JSON.stringify(settings.transport);
  let transport = transports.get(key);
  if (!transport) {
    transport =
      typeof settings.transport === "string"
        ? nodemailer.createTransport(settings.transport)
        : nodemailer.createTransport({ ...settings.transport, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
    transports.set(key, transport);
  }
  return transport;
}

export const mailUnavailableMessage = "This server cannot send email yet: ask its operator to configure a mail server (SMTP_URL).";

export async function sendMail(message: MailMessage, settings: MailSettings = mailSettings()): Promise<SentMail> {
  if (settings.kind === "none") throw new KeelError("unavailable", mailUnavailableMessage);
  if (settings.kind === "smtp") {
    const info = await transportFor(settings).sendMail({ from: settings.from, ...message });
    return { via: "smtp", id: String(info.messageId) };
  }
  const [row] = await withSystem("mail: keep a message in the development outbox", (tx) =>
    tx.insert(mailOutbox).values({ recipient: message.to, subject: message.subject, text: message.text, html: message.html }).returning({ id: mailOutbox.id }),
  );
  // The one line a developer needs: where to read it, and its first link, so that an account that
  // must confirm its address before it can sign in (and see the outbox) can still do so.
  const firstLink = message.text.match(/https?:\/\/\S+/)?.[0];
  console.log(
    `mail: "${message.subject}" to ${message.to} is in the development outbox: ${appOrigin()}/dev/outbox/${row!.id}${firstLink ? ` (link: ${firstLink})` : ""}`,
  );
  log.debug({ outboxId: row!.id }, "mail kept in the development outbox");
  return { via: "outbox", id: row!.id };
}

/** The outbox page is served only while mail goes to the outbox (development, or the explicit opt-in). */
export function outboxEnabled(settings: MailSettings = mailSettings()): boolean {
  return settings.kind === "outbox";
}

export function listOutbox(limit = 50): Promise<Pick<OutboxMessage, "id" | "recipient" | "subject" | "createdAt">[]> {
  return withSystem("dev outbox: list messages", (tx) =>
    tx
      .select({ id: mailOutbox.id, recipient: mailOutbox.recipient, subject: mailOutbox.subject, createdAt: mailOutbox.createdAt })
      .from(mailOutbox)
      .orderBy(desc(mailOutbox.createdAt))
      .limit(limit),
  );
}

export async function findOutboxMessage(id: string): Promise<OutboxMessage | null> {
  const [row] = await withSystem("dev outbox: read one message", (tx) => tx.select().from(mailOutbox).where(eq(mailOutbox.id, id)));
  return row ?? null;
}
