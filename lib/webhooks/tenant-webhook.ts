// Posts one event to the tenant's webhook (Settings → Quota warnings and alerts), if it set one:
// the address checked again at send time (the name may point elsewhere since it was saved), the
// body signed with the tenant's secret. Used by the soft-limit warning and by alert episodes.
import { eq } from "drizzle-orm";
import { tenantAiSettings } from "@/db/schema";
import type { Db } from "@/db/client";
import { withTenant } from "@/db/scope";
import { postToWebhook } from "./deliver";
import { SIGNATURE_HEADER, signWebhookBody } from "./signature";
import { resolveWebhookTarget, type WebhookTargetOptions } from "./webhook-target";

export interface TenantWebhookOptions extends WebhookTargetOptions {
  db?: Db;
  timeoutMs?: number;
}

export type TenantWebhookOutcome =
  | { kind: "none" }
  | { kind: "unsigned"; reason: string }
  | { kind: "refused"; reason: string }
  | { kind: "delivered"; status: number }
  | { kind: "failed"; status?: number; reason: string };

export interface TenantWebhookEvent {
  /** Stable per event, so a receiver can drop a repeat delivery. */
  id: string;
  type: string;
  [field: string]: unknown;
}

export async function sendTenantWebhook(tenantId: string, event: TenantWebhookEvent, options: TenantWebhookOptions = {}): Promise<TenantWebhookOutcome> {
  const [settings] = await withTenant(
    tenantId,
    (tx) =>
      tx
        .select({ url: tenantAiSettings.warningWebhookUrl, secret: tenantAiSettings.warningWebhookSecret })
        .from(tenantAiSettings)
        .where(eq(tenantAiSettings.tenantId, tenantId)),
    { db: options.db },
  );
  if (!settings?.url) return { kind: "none" };
  // Saved before deliveries were signed: an unsigned delivery could not be told from a forgery.
  if (!settings.secret) return { kind: "unsigned", reason: "No signing secret: create one in Settings (Rotate signing secret)." };

  let target;
  try {
    target = await resolveWebhookTarget(settings.url, options);
  } catch (error) {
    return { kind: "refused", reason: error instanceof Error ? error.message : String(error) };
  }
  const body = JSON.stringify({ ...event, created: Math.floor(Date.now() / 1000), tenantId });
  try {
    const { status } = await postToWebhook(target, body, { [SIGNATURE_HEADER]: signWebhookBody(settings.secret, body) }, options.timeoutMs);
    if (status >= 200 && status < 300) return { kind: "delivered", status };
    return { kind: "failed", status, reason: status >= 300 && status < 400 ? "Redirects are not followed." : `The receiver answered ${status}.` };
  } catch (error) {
    return { kind: "failed", reason: error instanceof Error ? error.message : String(error) };
  }
}

export function describeOutcome(outcome: TenantWebhookOutcome): string | null {
  switch (outcome.kind) {
    case "delivered":
    case "none":
      return null;
    case "failed":
      return outcome.status ? `${outcome.reason} (HTTP ${outcome.status})` : outcome.reason;
    default:
      return outcome.reason;
  }
}
