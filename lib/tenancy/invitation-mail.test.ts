// Invitations by email: the mail names the workspace and the inviter, its link joins; a resend
// sends a new link and kills the old one; a revoked invitation's link is dead; only admins send,
// within a per-invitation limit; joining through the mailed link confirms the invitee's address.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { addMember, createTenant, testPassword, uniqueAddress, uniqueEmail } from "@/test/fixtures";
import { startMailCatcher, type MailCatcher } from "@/test/mail-catcher";
import { inviteByEmail, resendInvitation } from "./invitation-mail";
import { acceptInvitation, createInvitation, listPendingInvitations, previewInvitation, revokeInvitation } from "./invitations";
import { signUpInvitee } from "./sign-up";

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

/** tenantId and secret from an invitation link. */
function parseLink(link: string): { tenantId: string; secret: string } {
  const [, , tenantId, secret] = new URL(link).pathname.split("/");
  return { tenantId: tenantId!, secret: secret! };
}

async function newestLinkTo(email: string, after: number): Promise<string> {
  const mail = await catcher.waitFor((m) => m.to === email && catcher.messages.indexOf(m) >= after);
  return mail.links.find((l) => l.startsWith(`${origin}/invite/`))!;
}

describe("invitations by email", () => {
  it("mails a link that names the workspace and inviter; joining through it confirms the address", async () => {
    const owner = await createTenant("Mailed Workspace");
    const invitee = uniqueEmail("invitee");
    const { invitation } = await inviteByEmail(owner, { role: "member", expiresInDays: 7, email: invitee });
    const mail = await catcher.waitFor((m) => m.to === invitee);
    expect(mail.subject).toBe("Owner invited you to Mailed Workspace on Keel");
    expect(mail.text).toContain("as member");
    expect(mail.html).toContain("Join Mailed Workspace");
    const pending = await listPendingInvitations(owner);
    expect(pending.find((i) => i.id === invitation.id)).toMatchObject({ email: invitee, sentAt: expect.any(Date) });

    const { tenantId, secret } = parseLink(mail.links[0]!);
    expect(tenantId).toBe(owner.tenantId);
    expect((await previewInvitation(tenantId, secret)).tenantName).toBe("Mailed Workspace");
    const { userId } = await signUpInvitee({ name: "Invitee", email: invitee, password: testPassword }, { clientAddress: uniqueAddress() });
    await acceptInvitation({ tenantId, secret, userId });
    const [row] = await withSystem("test: read the invitee", (tx) => tx.select().from(users).where(eq(users.id, userId)));
    expect(row!.emailVerified).toBeInstanceOf(Date);
  });

  it("resends with a new link, the old one dead; revoking kills the link; resends are limited", async () => {
    const owner = await createTenant("Resend Workspace");
    const invitee = uniqueEmail("resend");
    let before = catcher.messages.length;
    const { invitation } = await inviteByEmail(owner, { role: "admin", expiresInDays: 3, email: invitee });
    const first = parseLink(await newestLinkTo(invitee, before));
    before = catcher.messages.length;
    await resendInvitation(owner, invitation.id);
    const second = parseLink(await newestLinkTo(invitee, before));
    expect(second.secret).not.toBe(first.secret);
    await expect(previewInvitation(first.tenantId, first.secret)).rejects.toMatchObject({ code: "not_found" });
    expect((await previewInvitation(second.tenantId, second.secret)).role).toBe("admin");

    await resendInvitation(owner, invitation.id);
    await resendInvitation(owner, invitation.id);
    await expect(resendInvitation(owner, invitation.id)).rejects.toMatchObject({ code: "rate_limited" });

    await revokeInvitation(owner, invitation.id);
    const newest = parseLink(await newestLinkTo(invitee, catcher.messages.length - 1));
    await expect(previewInvitation(newest.tenantId, newest.secret)).rejects.toMatchObject({ code: "gone" });
  });

  it("is for owners and admins only, and a link-only invitation cannot be 'resent'", async () => {
    const owner = await createTenant("Guarded Workspace");
    const member = await addMember(owner, "member");
    await expect(inviteByEmail(member, { role: "member", expiresInDays: 7, email: uniqueEmail("x") })).rejects.toMatchObject({ code: "forbidden" });
    const { invitation: linkOnly } = await createInvitation(owner, { role: "member", expiresInDays: 7 });
    await expect(resendInvitation(owner, linkOnly.id)).rejects.toMatchObject({ code: "not_found" });
    // Another workspace's admin cannot resend it either: the row is not visible there.
    const stranger = await createTenant("Stranger");
    await expect(resendInvitation(stranger, linkOnly.id)).rejects.toMatchObject({ code: "not_found" });
  });
});
