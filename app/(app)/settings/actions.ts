"use server";
import { revalidatePath } from "next/cache";
import { getGateway } from "@/lib/ai";
import { z } from "zod";
import { aiSettingsSchema, dismissNotice, rotateWebhookSecret, updateAiSettings } from "@/lib/ai/ai-settings";
import { rateLimitSettingsSchema, updateRateLimits } from "@/lib/ai/rate-limit-settings";
import { createApiKey, revokeApiKey } from "@/lib/auth/api-keys";
import { requireUser } from "@/lib/auth/guard";
import { saveWorkspaceSsoPolicy, ssoPolicySchema } from "@/lib/auth/sso/workspace-sso-policy";
import { tenantAction } from "@/lib/http/tenant-action";
import { apiKeyIdSchema, apiKeyNameSchema, noticeIdSchema, renameTenantSchema } from "@/lib/tenancy/schemas";
import { renameTenant } from "@/lib/tenancy/tenants";
import { startReembed, stopReembeds } from "@/inngest/reembed-jobs";
import { requestReembed, rollbackReembed } from "@/lib/documents/reembed/lifecycle";
import { cancelRolledBackBatches } from "@/lib/documents/reembed/provider-batch";
import { setTwoFactorRequired } from "@/lib/auth/two-factor/policy";
import { twoFactorRequirementSchema } from "@/lib/auth/two-factor/schemas";

export const renameTenantAction = tenantAction(renameTenantSchema, { role: "admin" }, async ({ name }, ctx) => {
  await renameTenant(ctx, name);
  revalidatePath("/", "layout");
  return { ok: true, message: "Workspace renamed.", values: { name } };
});

export const updateAiSettingsAction = tenantAction(aiSettingsSchema, { role: "admin" }, async (input, ctx) => {
  const { webhookSecret } = await updateAiSettings(ctx, input);
  getGateway().forgetTenant(ctx.tenantId);
  revalidatePath("/settings");
  return {
    ok: true,
    message: "AI limits saved. They apply from the next request.",
    // The first webhook URL gets a signing secret, shown this once.
    result: webhookSecret ? { webhookSecret } : undefined,
  };
});

export const updateRateLimitsAction = tenantAction(rateLimitSettingsSchema, { role: "admin" }, async (input, ctx) => {
  await updateRateLimits(ctx, input);
  revalidatePath("/settings");
  return { ok: true, message: "API rate limits saved. They apply from the next request." };
});

export const rotateWebhookSecretAction = tenantAction(z.object({}), { role: "admin" }, async (_input, ctx) => {
  const webhookSecret = await rotateWebhookSecret(ctx);
  revalidatePath("/settings");
  return { ok: true, message: "New signing secret created.", result: { webhookSecret } };
});

export const createApiKeyAction = tenantAction(apiKeyNameSchema, { role: "admin" }, async ({ name }, ctx) => {
  const { key } = await createApiKey(ctx, name);
  revalidatePath("/settings");
  return { ok: true, message: "API key created.", result: { key } };
});

export const revokeApiKeyAction = tenantAction(apiKeyIdSchema, { role: "admin" }, async ({ apiKeyId }, ctx) => {
  await revokeApiKey(ctx, apiKeyId);
  revalidatePath("/settings");
});

export const dismissNoticeAction = tenantAction(noticeIdSchema, { role: "admin" }, async ({ noticeId }, ctx) => {
  await dismissNotice(ctx, noticeId);
  revalidatePath("/", "layout");
});

/** A tenant-wide re-embedding, after the admin saw its size and cost on the page and confirmed. */
export const startReembedAction = tenantAction(z.object({}), { role: "admin" }, async (_input, ctx) => {
  const started = await startReembed(await requestReembed(ctx, { kind: "tenant" }));
  revalidatePath("/settings");
  return started
    ? { ok: true, message: "Re-embedding started." }
    : { ok: false, message: "Keel could not start the re-embedding: its job service did not answer. Try again in a moment." };
});

/** Stops a re-embedding and discards its partial new set; documents keep the vectors they have. */
export const rollbackReembedAction = tenantAction(z.object({}), { role: "admin" }, async (_input, ctx) => {
  const rolledBack = await rollbackReembed(ctx);
  await stopReembeds(ctx.tenantId, rolledBack.cancelledJobIds);
  await cancelRolledBackBatches(ctx.tenantId, rolledBack.batches);
  revalidatePath("/settings");
  return { ok: true, message: `Rolled back: ${rolledBack.discardedChunks} new vectors discarded.` };
});

/** Requires (or stops requiring) single sign-on for this workspace; the admin's own session must meet it. */
export const updateSsoPolicyAction = tenantAction(ssoPolicySchema, { role: "admin" }, async (input, ctx) => {
  const { sessionId } = await requireUser();
  const policy = await saveWorkspaceSsoPolicy({ ...ctx, sessionId }, input);
  revalidatePath("/settings");
  return {
    ok: true,
    message: policy.requireSso
      ? `Members must now sign in with single sign-on${policy.emailDomain ? ` and an address at ${policy.emailDomain}` : ""}.`
      : "Members may sign in any way they can.",
  };
});

/** Members without a second factor are sent to set one up before they can use the workspace. */
export const setTwoFactorRequirementAction = tenantAction(twoFactorRequirementSchema, { role: "admin" }, async ({ required }, ctx) => {
  await setTwoFactorRequired(ctx, required === "on");
  revalidatePath("/settings");
  return { ok: true, message: required === "on" ? "Two-factor authentication is now required." : "Two-factor authentication is no longer required." };
});
