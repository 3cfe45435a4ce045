// Mail leaves over real SMTP (an in-process smtp-server) as plain text and HTML, with links from
// AUTH_URL; with no server in development it lands in the outbox; production without one refuses.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startMailCatcher, type MailCatcher } from "@/test/mail-catcher";
import { invitationMessage, verifyEmailMessage } from "./account-messages";
import { appOrigin, emailVerificationRequired, mailSettings } from "./mail-settings";
import { findOutboxMessage, listOutbox, sendMail } from "./send-mail";

let catcher: MailCatcher;

beforeAll(async () => {
  catcher = await startMailCatcher();
});
afterAll(async () => {
  await catcher.close();
});

describe("mail settings", () => {
  it("picks SMTP from a URL or from its parts, the outbox in development, nothing in production", () => {
    expect(mailSettings({ SMTP_URL: "smtp://mail.example.com:2525", NODE_ENV: "production" })).toMatchObject({
      kind: "smtp",
      description: "SMTP mail.example.com:2525",
    });
    expect(
      mailSettings({ SMTP_HOST: "mail.example.com", SMTP_PORT: "465", SMTP_USER: "keel", SMTP_PASSWORD: "pw", SMTP_FROM: "Keel <k@example.com>" }),
    ).toEqual({
      kind: "smtp",
      transport: { host: "mail.example.com", port: 465, secure: true, auth: { user: "keel", pass: "pw" } },
      from: "Keel <k@example.com>",
      description: "SMTP mail.example.com:465",
    });
    expect(mailSettings({ NODE_ENV: "development", AUTH_URL: "http://localhost:3000" })).toMatchObject({
      kind: "outbox",
      from: "Keel <no-reply@keel.localhost>",
    });
    expect(mailSettings({ NODE_ENV: "production", AUTH_URL: "https://keel.example.com" }).kind).toBe("none");
    expect(mailSettings({ NODE_ENV: "production", KEEL_MAIL_OUTBOX: "1", AUTH_URL: "https://keel.example.com" })).toMatchObject({
      kind: "outbox",
      from: "Keel <no-reply@keel.example.com>",
    });
    expect(() => mailSettings({ SMTP_HOST: "mail.example.com", SMTP_PORT: "smtp" })).toThrow(/SMTP_PORT/);
  });

  it("requires verification by default in production when mail can be sent, and reads the setting strictly", () => {
    expect(emailVerificationRequired({ NODE_ENV: "production", SMTP_URL: "smtp://mail.example.com:587" })).toBe(true);
    expect(emailVerificationRequired({ NODE_ENV: "production", KEEL_MAIL_OUTBOX: "1" })).toBe(true);
    expect(emailVerificationRequired({ NODE_ENV: "production" })).toBe(false);
    expect(emailVerificationRequired({ NODE_ENV: "development" })).toBe(false);
    expect(emailVerificationRequired({ NODE_ENV: "production", KEEL_REQUIRE_EMAIL_VERIFICATION: "false" })).toBe(false);
    expect(emailVerificationRequired({ NODE_ENV: "test", KEEL_REQUIRE_EMAIL_VERIFICATION: "1" })).toBe(true);
    expect(() => emailVerificationRequired({ KEEL_REQUIRE_EMAIL_VERIFICATION: "sometimes" })).toThrow(/KEEL_REQUIRE_EMAIL_VERIFICATION/);
    expect(appOrigin({ AUTH_URL: "https://keel.example.com/some/path" })).toBe("https://keel.example.com");
  });
});

describe("sending", () => {
  it("delivers over SMTP as text and HTML, naming the workspace, with escaped names and the link intact", async () => {
    const to = `smtp-${Date.now()}@example.test`;
    const link = "https://keel.example.com/verify-email/abc_DEF-123";
    const message = verifyEmailMessage({ to, name: "Ada <script>", workspaceName: "Acme & Co", link, expiresInMs: 48 * 3_600_000 });
    const sent = await sendMail(message, mailSettings({ SMTP_URL: catcher.url, SMTP_FROM: "Keel <keel@example.test>" }));
    expect(sent.via).toBe("smtp");
    const mail = await catcher.waitFor((m) => m.to === to);
    expect(mail.subject).toBe("Confirm your email for Acme & Co");
    expect(mail.from).toContain("keel@example.test");
    expect(mail.text).toContain('the workspace "Acme & Co"');
    expect(mail.links).toEqual([link]);
    expect(mail.html).toContain("Acme &amp; Co");
    expect(mail.html).toContain("Ada &lt;script&gt;");
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain(`href="${link}"`);
  });

  it("keeps mail in the development outbox, with one line in the terminal pointing at it", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const to = `outbox-${Date.now()}@example.test`;
    const message = invitationMessage({
      to,
      inviterName: "Ada",
      workspaceName: "Acme",
      role: "member",
      link: "http://localhost:3000/invite/x/y",
      expiresAt: new Date("2030-01-01T00:00:00Z"),
    });
    const sent = await sendMail(message, mailSettings({ NODE_ENV: "development", AUTH_URL: "http://localhost:3000" })).finally(() => spy.mockRestore());
    expect(sent.via).toBe("outbox");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`to ${to} is in the development outbox:`);
    expect(lines[0]).toContain(`/dev/outbox/${sent.id}`);
    // With verification required, an unconfirmed person cannot sign in to read the outbox: the link is in the line.
    expect(lines[0]).toContain("(link: http://localhost:3000/invite/x/y)");
    expect((await listOutbox()).some((m) => m.id === sent.id && m.recipient === to)).toBe(true);
    const stored = await findOutboxMessage(sent.id);
    expect(stored).toMatchObject({ recipient: to, subject: "Ada invited you to Acme on Keel" });
    expect(stored!.text).toContain("http://localhost:3000/invite/x/y");
    expect(stored!.html).toContain("Join Acme");
  });

  it("refuses with a clear message when production has no mail server", async () => {
    await expect(
      sendMail({ to: "x@example.test", subject: "s", text: "t", html: "h" }, mailSettings({ NODE_ENV: "production", AUTH_URL: "https://k.example.com" })),
    ).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(/SMTP_URL/) });
  });
});
