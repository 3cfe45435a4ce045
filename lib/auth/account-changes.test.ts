// Changing one's own password and email: the current password first (counted per user), a new
// password ends the other sessions, a new email takes effect only through the link mailed to it.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { createTenant, testPassword, uniqueAddress, uniqueEmail } from "@/test/fixtures";
import { startMailCatcher, type MailCatcher } from "@/test/mail-catcher";
import { authenticate } from "./authenticate";
import { changePassword, confirmEmailChange, requestEmailChange } from "./account-changes";
import { describeDevice, listActiveSessions } from "./session-list";
import { isSessionActive, revokeOtherSessions, revokeSession, startSession } from "./user-sessions";

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

const emailOf = async (id: string) => (await withSystem("test: read a user", (tx) => tx.select().from(users).where(eq(users.id, id))))[0]!;

describe("changing the password", () => {
  it("needs the current password, keeps this session and ends the others", async () => {
    const owner = await createTenant("Password Co");
    const here = await startSession(owner.userId);
    const elsewhere = await startSession(owner.userId);
    await expect(
      changePassword({ userId: owner.userId, sessionId: here }, { currentPassword: "wrong password!", newPassword: "another long one" }),
    ).rejects.toMatchObject({
      code: "invalid_input",
      fieldErrors: { currentPassword: expect.any(String) },
    });
    expect(await isSessionActive(owner.userId, elsewhere)).toBe(true);
    const ended = await changePassword({ userId: owner.userId, sessionId: here }, { currentPassword: testPassword, newPassword: "another long one" });
    expect(ended).toBe(1);
    expect(await isSessionActive(owner.userId, here)).toBe(true);
    expect(await isSessionActive(owner.userId, elsewhere)).toBe(false);
    expect((await authenticate(owner.email, "another long one", { ip: uniqueAddress(), secret: null })).id).toBe(owner.userId);
  });

  it("stops guessing the current password after five tries", async () => {
    const owner = await createTenant("Guess Co");
    const actor = { userId: owner.userId, sessionId: await startSession(owner.userId) };
    for (let i = 0; i < 5; i++) {
      await expect(changePassword(actor, { currentPassword: `guess number ${i}`, newPassword: "another long one" })).rejects.toMatchObject({
        code: "invalid_input",
      });
    }
    // Even the right password waits now: the counter is per user, not per guess.
    await expect(changePassword(actor, { currentPassword: testPassword, newPassword: "another long one" })).rejects.toMatchObject({ code: "rate_limited" });
  });
});

describe("changing the email", () => {
  it("takes effect only through the link mailed to the new address, which it verifies, once", async () => {
    const owner = await createTenant("Move Co");
    const actor = { userId: owner.userId, sessionId: await startSession(owner.userId) };
    const newEmail = uniqueEmail("moved");
    await expect(requestEmailChange(actor, { newEmail, password: "not my password" })).rejects.toMatchObject({ code: "invalid_input" });
    await requestEmailChange(actor, { newEmail, password: testPassword });
    const mail = await catcher.waitFor((m) => m.to === newEmail);
    expect(mail.subject).toBe("Confirm your new email address for Keel");
    expect(mail.text).toContain('workspace "Move Co"');
    // Nothing changed yet: the old address still signs in.
    expect((await emailOf(owner.userId)).email).toBe(owner.email);
    const link = mail.links.find((l) => l.startsWith(`${origin}/confirm-email/`))!;
    const secret = link.slice(`${origin}/confirm-email/`.length);
    await confirmEmailChange(secret);
    const moved = await emailOf(owner.userId);
    expect(moved.email).toBe(newEmail);
    expect(moved.emailVerified).toBeInstanceOf(Date);
    await expect(confirmEmailChange(secret)).rejects.toMatchObject({ code: "gone" });
    await expect(authenticate(owner.email, testPassword, { ip: uniqueAddress(), secret: null })).rejects.toMatchObject({ code: "unauthenticated" });
    expect((await authenticate(newEmail, testPassword, { ip: uniqueAddress(), secret: null })).id).toBe(owner.userId);
  });

  it("refuses an address another account uses, at request and at confirmation", async () => {
    const a = await createTenant("Taken A");
    const b = await createTenant("Taken B");
    const actorA = { userId: a.userId, sessionId: await startSession(a.userId) };
    await expect(requestEmailChange(actorA, { newEmail: b.email, password: testPassword })).rejects.toMatchObject({ code: "conflict" });
    // Free when asked, taken before the link is followed: refused, the link stays unspent.
    const contested = uniqueEmail("contested");
    await requestEmailChange(actorA, { newEmail: contested, password: testPassword });
    const mail = await catcher.waitFor((m) => m.to === contested);
    await withSystem("test: b takes the address", (tx) => tx.update(users).set({ email: contested }).where(eq(users.id, b.userId)));
    const secret = mail.links[0]!.slice(`${origin}/confirm-email/`.length);
    await expect(confirmEmailChange(secret)).rejects.toMatchObject({ code: "conflict" });
    expect((await emailOf(a.userId)).email).toBe(a.email);
  });
});

describe("the sessions list", () => {
  it("lists one's own active sessions with the device, marks the current one, and forgets the revoked", async () => {
    const owner = await createTenant("Devices Co");
    const other = await createTenant("Other Co");
    const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36";
    const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
    const here = await startSession(owner.userId, { userAgent: chrome, ip: "203.0.113.7" });
    const phone = await startSession(owner.userId, { userAgent: iphone });
    const gone = await startSession(owner.userId, { userAgent: null });
    await startSession(other.userId, { userAgent: chrome });
    await revokeSession(owner.userId, gone);
    const listed = await listActiveSessions(owner.userId, here);
    expect(listed.map((s) => [s.id, s.device, s.current])).toEqual(
      expect.arrayContaining([
        [here, "Chrome 140 on Linux", true],
        [phone, "Safari 18 on iOS (mobile)", false],
      ]),
    );
    expect(listed).toHaveLength(2);
    expect(listed.find((s) => s.id === here)!.ip).toBe("203.0.113.7");
    expect(await revokeOtherSessions(owner.userId, here)).toBe(1);
    expect((await listActiveSessions(owner.userId, here)).map((s) => s.id)).toEqual([here]);
    expect(describeDevice("")).toBe("Unknown device");
  });
});
