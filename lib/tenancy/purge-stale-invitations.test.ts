import { describe, expect, it } from "vitest";
import { createInvitation, previewInvitation } from "./invitations";
import { invitationRetentionDays, purgeStaleInvitations } from "./purge-stale-invitations";
import { createTenant } from "@/test/fixtures";

describe("purgeStaleInvitations", () => {
  it("removes long-expired unused invitations in every tenant and keeps the rest", async () => {
    const a = await createTenant("Purge A");
    const b = await createTenant("Purge B");
    const longAgo = new Date(Date.now() - (invitationRetentionDays + 5) * 86_400_000);
    const staleA = await createInvitation(a, { role: "member", expiresInDays: 1 }, longAgo);
    const staleB = await createInvitation(b, { role: "member", expiresInDays: 1 }, longAgo);
    const fresh = await createInvitation(b, { role: "member", expiresInDays: 7 });

    expect(await purgeStaleInvitations()).toBeGreaterThanOrEqual(2);
    await expect(previewInvitation(a.tenantId, staleA.secret)).rejects.toMatchObject({ code: "not_found" });
    await expect(previewInvitation(b.tenantId, staleB.secret)).rejects.toMatchObject({ code: "not_found" });
    await expect(previewInvitation(b.tenantId, fresh.secret)).resolves.toMatchObject({ role: "member" });
  });
});
