// Workspaces full of content, and exports run to their end, for the tests of leaving with your data
// (exports, deletion, the purge). Everything goes through the functions the app itself calls.
import { randomUUID } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { localExecutorEvents, mailOutbox } from "@/db/schema";
import { withSystem } from "@/db/scope";
import { exportWorkspaceFunction } from "@/inngest/functions/export-workspace";
import { getGateway } from "@/lib/ai";
import { createApiKey } from "@/lib/auth/api-keys";
import { answerDeps } from "@/lib/chat/answer-deps";
import { followAnswer, rateAnswer, startAnswer } from "@/lib/chat/answers";
import { createCollection } from "@/lib/documents/collection-admin";
import { acceptUpload } from "@/lib/documents/upload";
import { requestWorkspaceExport, type ExportRequest } from "@/lib/exports/workspace-exports";
import type { TenantContext } from "@/lib/tenancy/context";
import { createInvitation } from "@/lib/tenancy/invitations";
import { runAnalysis } from "./documents-harness";
import { addMember } from "./fixtures";
import { setLimits } from "./gateway-harness";

/** Runs the real export-workspace function to its end, in-process. */
export async function runExport(request: ExportRequest) {
  const engine = new InngestTestEngine({ function: exportWorkspaceFunction });
  return engine.execute({ events: [{ id: randomUUID(), name: "workspace/export.requested", data: request, ts: Date.now() }] });
}

export const originalText = "Turbine maintenance report.\n\nThe north turbine was serviced on 3 March. Its blades were inspected and found sound.\n";

/**
 * Fills the workspace: a member and a pending invitation, a collection, an analysed document (its
 * chunks, embeddings, job, history, notification, usage), an answered and rated question (the
 * conversation, messages, cache, usage), AI limits with a webhook, an API key, a finished export
 * (its row and zip), and rows of the system tables that carry a tenant id in their payload.
 */
export async function seedWorkspace(owner: TenantContext) {
  const member = await addMember(owner, "admin");
  await createInvitation(owner, { role: "member", expiresInDays: 7 });
  const collection = await createCollection(owner, "Reports");
  const { document, request } = await acceptUpload(owner, {
    fileName: "turbines <north>.txt",
    bytes: new TextEncoder().encode(originalText),
    collectionId: collection.id,
  });
  const analysis = await runAnalysis(request);
  if (analysis.error) throw new Error(`the seed document's analysis failed: ${String(analysis.error)}`);
  const started = await startAnswer(owner, { collectionIds: null }, { kind: "ask", question: "When was the north turbine serviced?" }, answerDeps());
  for await (const update of followAnswer(owner, started.answerId)) if (update.final) break;
  await rateAnswer(owner, started.answerId, 1);
  await setLimits(owner, { monthlyTokenLimit: 400_000, warningWebhookUrl: "https://hooks.example.com/keel" });
  await createApiKey(owner, "integration");
  await getGateway().flush();
  const exportRequest = await requestWorkspaceExport(owner);
  const exported = await runExport(exportRequest);
  if (exported.error) throw new Error(`the seed export failed: ${String(exported.error)}`);
  await withSystem("test: rows of system tables that name the tenant", async (tx) => {
    const eventId = randomUUID();
    await tx.insert(localExecutorEvents).values({
      id: eventId,
      name: "workspace/export.requested",
      payload: { id: eventId, name: "workspace/export.requested", data: { ...exportRequest }, ts: Date.now() },
    });
    await tx
      .insert(mailOutbox)
      .values({ recipient: "someone@example.test", subject: "Join", text: `http://localhost/invite/${owner.tenantId}/secret`, html: "<p>Join</p>" });
  });
  return { member, collection, document, answerId: started.answerId, conversationId: started.conversationId, exportRequest };
}
