// Feedback feeds the output-quality counts: thumbs and corrections given through the chat's own
// functions show up per tenant and UTC day, across every member's private conversations, and
// nothing of another tenant's does.
import { describe, expect, it } from "vitest";
import { chatMessages, type ChatMessage } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { addMember, createTenant } from "@/test/fixtures";
import type { TenantContext } from "@/lib/tenancy/context";
import { correctAnswer, rateAnswer } from "./answers";
import { createConversation } from "./conversations";
import { chatFeedbackCounts } from "./feedback-counts";

/** An answered question in the person's own conversation, written on the given day. */
async function answered(ctx: TenantContext, at: string, status: ChatMessage["status"] = "complete"): Promise<string> {
  const conversation = await createConversation(ctx, { collectionIds: [] });
  const createdAt = new Date(at);
  const [, answer] = await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .insert(chatMessages)
        .values([
          { tenantId: ctx.tenantId, userId: ctx.userId, conversationId: conversation.id, role: "user", content: "Q", createdAt },
          { tenantId: ctx.tenantId, userId: ctx.userId, conversationId: conversation.id, role: "assistant", content: "A", status, createdAt },
        ])
        .returning(),
    { userId: ctx.userId },
  );
  return answer!.id;
}

describe("chat feedback counts", () => {
  it("counts answers, thumbs and corrections per UTC day across the tenant's members, for admins only", async () => {
    const owner = await createTenant("Feedback counts");
    const member = await addMember(owner, "member");
    const stranger = await createTenant("Feedback stranger");

    const a1 = await answered(owner, "2026-03-02T09:00:00Z");
    const a2 = await answered(member, "2026-03-02T23:59:59Z");
    const a3 = await answered(member, "2026-03-03T00:00:00Z");
    const a4 = await answered(owner, "2026-03-03T12:00:00Z", "stopped");
    await answered(owner, "2026-03-03T12:00:00Z", "failed");
    await answered(owner, "2026-03-05T12:00:00Z"); // outside the window
    const theirs = await answered(stranger, "2026-03-02T10:00:00Z");

    await rateAnswer(owner, a1, 1);
    await rateAnswer(member, a2, -1);
    await correctAnswer(member, a2, "The right answer.");
    await correctAnswer(member, a3, "Another fix.");
    await rateAnswer(owner, a4, -1);
    await rateAnswer(owner, a4, 1); // changed their mind: counted once, as given now
    await rateAnswer(stranger, theirs, -1);

    const window = { from: new Date("2026-03-01T00:00:00Z"), to: new Date("2026-03-05T00:00:00Z") };
    const counts = await chatFeedbackCounts(owner, window);
    expect(counts.days).toEqual([
      { day: "2026-03-02", answers: 2, thumbsUp: 1, thumbsDown: 1, corrections: 1, correctedAnswers: 1 },
      { day: "2026-03-03", answers: 2, thumbsUp: 1, thumbsDown: 0, corrections: 1, correctedAnswers: 1 },
    ]);
    expect(counts.total).toEqual({ answers: 4, thumbsUp: 2, thumbsDown: 1, corrections: 2, correctedAnswers: 2, correctionRate: 0.5 });

    // An admin sees the same; a member may not look; another tenant sees only its own.
    const admin = await addMember(owner, "admin");
    expect((await chatFeedbackCounts(admin, window)).total.answers).toBe(4);
    await expect(chatFeedbackCounts(member, window)).rejects.toMatchObject({ code: "forbidden" });
    expect((await chatFeedbackCounts(stranger, window)).total).toEqual({
      answers: 1,
      thumbsUp: 0,
      thumbsDown: 1,
      corrections: 0,
      correctedAnswers: 1,
      correctionRate: 1,
    });
    const empty = await chatFeedbackCounts(owner, { from: new Date("2025-01-01T00:00:00Z"), to: new Date("2025-01-02T00:00:00Z") });
    expect(empty).toEqual({ days: [], total: { answers: 0, thumbsUp: 0, thumbsDown: 0, corrections: 0, correctedAnswers: 0, correctionRate: null } });
    await expect(chatFeedbackCounts(owner, { from: window.to, to: window.from })).rejects.toThrow();
  });
});
