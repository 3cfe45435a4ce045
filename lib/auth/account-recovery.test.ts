// Verification and recovery against real PostgreSQL, with mail received over real SMTP and links
// followed as a person would: single use, expiry, throttling per address and per email, answers
// and timing that say nothing of whether an account exists, and sessions ended by a reset.
import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountTokens, users } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { createTenant, testPassword, uniqueAddress, uniqueEmail } from "@/test/fixtures";
import { startMailCatcher, type MailCatcher } from "@/test/mail-catcher";
import { authenticate } from "./authenticate";
import { sendVerificationEmail, resendVerification, verifyEmail } from "./email-verification";
import { requestPasswordReset, resetPassword } from "./password-reset";
import { isSessionActive, startSession } from "./user-sessions";

let catcher: MailCatcher;
const origin = "https://keel.test";

beforeAll(async () => {
  catcher = await startMailCatcher();
  process.env.SMTP_URL = catcher.url;
  process.env.AUTH_URL = origin;
});
afterAll(async () => {
  delete process.env.SMTP_URL;
  delete process.env.AUTH_URL;
  await catcher.close();
});

/** The secret at the end of the newest link of `kind` mailed to `to`. */
async function linkFor(to: string, path: string, after = 0): Promise<string> {
  const mail = await catcher.waitFor((m) => m.to === to && catcher.messages.indexOf(m) >= after && m.links.some((l) => l.startsWith(`${origin}${path}/`)));
  return mail.links.find((l) => l.startsWith(`${origin}${path}/`))!.slice(`${origin}${path}/`.length);
}

const userRow = async (id: string) => (await withSystem("test: read a user", (tx) => tx.select().from(users).where(eq(users.id, id))))[0]!;

describe("email verification", () => {
  it("mails a link naming the workspace; following it verifies the address once, and sign-in waits for it when required", async () => {
    const owner = await createTenant("Verified Co");
    await expect(authenticate(owner.email, testPassword, { ip: uniqueAddress(), requireVerifiedEmail: true, secret: null })).rejects.toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/Confirm your email/),
    });
    await sendVerificationEmail(owner.userId, { clientAddress: uniqueAddress() });
    const mail = await catcher.waitFor((m) => m.to === owner.email);
    expect(mail.subject).toBe("Confirm your email for Verified Co");
    expect(mail.html).toContain("Verified Co");
    const secret = await linkFor(owner.email, "/verify-email");

    // Stored hashed: the secret in the link is nowhere in the table.
    const rows = await withSystem("test: tokens", (tx) => tx.select().from(accountTokens).where(eq(accountTokens.userId, owner.userId)));
    expect(rows.map((r) => r.tokenHash)).toContain(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(rows)).not.toContain(secret);

    await verifyEmail(secret);
    expect((await userRow(owner.userId)).emailVerified).toBeInstanceOf(Date);
    await expect(verifyEmail(secret)).rejects.toMatchObject({ code: "gone" });
    const user = await authenticate(owner.email, testPassword, { ip: uniqueAddress(), requireVerifiedEmail: true, secret: null });
    expect(user.id).toBe(owner.userId);
  });

  it("mails every new account its link, however many sign up from one network (the sign-up throttle bounds those)", async () => {
    const office = uniqueAddress();
    const owners = await Promise.all(Array.from({ length: 12 }, (_, i) => createTenant(`Office ${i}`)));
    for (const owner of owners) await sendVerificationEmail(owner.userId, { clientAddress: office });
    for (const owner of owners) await catcher.waitFor((m) => m.to === owner.email);
  });

  it("answers a resend the same for an unknown, a verified and an unverified address, and mails only the last", async () => {
    const waiting = await createTenant("Waiting");
    const before = catcher.messages.length;
    const answers = await Promise.all(
      [uniqueEmail("nobody"), waiting.email].map(async (email) => {
        const { pending } = await resendVerification(email, { clientAddress: uniqueAddress() });
        await pending;
        return "accepted";
      }),
    );
    expect(answers).toEqual(["accepted", "accepted"]);
    await catcher.waitFor((m) => m.to === waiting.email);
    expect(catcher.messages.slice(before).map((m) => m.to)).toEqual([waiting.email]);
  });
});

describe("password reset", () => {
  it("resets once with the mailed link, ends every session, and the old password stops working", async () => {
    const owner = await createTenant("Reset Co");
    const sessions = [await startSession(owner.userId), await startSession(owner.userId)];
    const before = catcher.messages.length;
    const { pending } = await requestPasswordReset(owner.email, { clientAddress: uniqueAddress() });
    await pending;
    const secret = await linkFor(owner.email, "/reset-password", before);
    const mail = catcher.messages.find((m) => m.to === owner.email && m.subject === "Reset your Keel password")!;
    expect(mail.text).toContain('workspace "Reset Co"');
    expect(mail.text).toContain("30 minutes");

    const result = await resetPassword(secret, "a brand new password");
    expect(result.revokedSessions).toBe(2);
    for (const id of sessions) expect(await isSessionActive(owner.userId, id)).toBe(false);
    // Reuse of the same link: refused, and the password stays the one it set.
    await expect(resetPassword(secret, "an attacker's password")).rejects.toMatchObject({ code: "gone" });
    await expect(authenticate(owner.email, testPassword, { ip: uniqueAddress(), secret: null })).rejects.toMatchObject({ code: "unauthenticated" });
    expect((await authenticate(owner.email, "a brand new password", { ip: uniqueAddress(), secret: null })).id).toBe(owner.userId);
    // Following the link proved the address.
    expect((await userRow(owner.userId)).emailVerified).toBeInstanceOf(Date);
  });

  it("refuses an expired link, a forged one, and an earlier link once a newer one was sent", async () => {
    const owner = await createTenant("Expiry Co");
    const address = uniqueAddress();
    let before = catcher.messages.length;
    await (
      await requestPasswordReset(owner.email, { clientAddress: address })
    ).pending;
    const first = await linkFor(owner.email, "/reset-password", before);
    before = catcher.messages.length;
    await (
      await requestPasswordReset(owner.email, { clientAddress: address })
    ).pending;
    const second = await linkFor(owner.email, "/reset-password", before);
    expect(second).not.toBe(first);
    await expect(resetPassword(first, "another new password")).rejects.toMatchObject({ code: "gone" });
    await expect(resetPassword("A".repeat(43), "another new password")).rejects.toMatchObject({ code: "not_found" });
    await expect(resetPassword("../../etc/passwd", "another new password")).rejects.toMatchObject({ code: "not_found" });
    // 31 minutes later the link is dead; within the hour is the promise.
    await expect(resetPassword(second, "another new password", { now: new Date(Date.now() + 31 * 60_000) })).rejects.toMatchObject({
      code: "gone",
      message: expect.stringMatching(/expired/),
    });
    await expect(authenticate(owner.email, testPassword, { ip: uniqueAddress(), secret: null })).resolves.toMatchObject({ id: owner.userId });
  });

  it("throttles per email (every address together) and per address, counting unknown emails like real ones", async () => {
    const owner = await createTenant("Throttle Co");
    const unknown = uniqueEmail("ghost");
    for (const email of [owner.email, unknown]) {
      for (let i = 0; i < 3; i++) await (await requestPasswordReset(email, { clientAddress: uniqueAddress() })).pending;
      await expect(requestPasswordReset(email, { clientAddress: uniqueAddress() })).rejects.toMatchObject({ code: "rate_limited" });
    }
    const address = uniqueAddress();
    for (let i = 0; i < 10; i++) await (await requestPasswordReset(uniqueEmail("spray"), { clientAddress: address })).pending;
    await expect(requestPasswordReset(uniqueEmail("spray"), { clientAddress: address })).rejects.toMatchObject({
      code: "rate_limited",
      message: expect.stringMatching(/Too many password resets/),
    });
    // At most three mails reached the real inbox in the hour.
    expect(catcher.messages.filter((m) => m.to === owner.email && m.subject === "Reset your Keel password")).toHaveLength(3);
  });

  it("says the server cannot send mail, the same for every address, when production has no mail server", async () => {
    const owner = await createTenant("No Mail Co");
    const saved = { smtp: process.env.SMTP_URL, nodeEnv: process.env.NODE_ENV };
    delete process.env.SMTP_URL;
    (process.env as Record<string, string>).NODE_ENV = "production";
    try {
      for (const email of [owner.email, uniqueEmail("ghost")]) {
        await expect(requestPasswordReset(email, { clientAddress: uniqueAddress() })).rejects.toMatchObject({
          code: "unavailable",
          message: expect.stringMatching(/SMTP_URL/),
        });
        await expect(resendVerification(email, { clientAddress: uniqueAddress() })).rejects.toMatchObject({ code: "unavailable" });
      }
    } finally {
      process.env.SMTP_URL = saved.smtp;
      (process.env as Record<string, string | undefined>).NODE_ENV = saved.nodeEnv;
    }
  });

  it("answers before looking the email up or sending: a slow mail server does not show which addresses have accounts", async () => {
    const owner = await createTenant("Timing Co");
    // The mail server takes 2 s to accept a message: an answer that waited for it would take as long.
    catcher.delayMs = 2_000;
    try {
      const time = async (email: string) => {
        const started = performance.now();
        const { pending } = await requestPasswordReset(email, { clientAddress: uniqueAddress() });
        return { elapsed: performance.now() - started, pending };
      };
      const known = await time(owner.email);
      const unknown = await time(uniqueEmail("ghost"));
      expect(known.elapsed).toBeLessThan(1_000);
      expect(unknown.elapsed).toBeLessThan(1_000);
      const sentAt = performance.now();
      await Promise.all([known.pending, unknown.pending]);
      // The mail did go out, after the answer, and only to the account.
      expect(catcher.messages.filter((m) => m.to === owner.email)).toHaveLength(1);
      expect(performance.now() - sentAt + known.elapsed).toBeGreaterThan(1_500);
    } finally {
      catcher.delayMs = 0;
    }
  });
});
