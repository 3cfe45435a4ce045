// Every change to a tenant's AI limits, one audit entry per setting: who (the entry's actor), what
// (the setting), before and after. A webhook URL can carry a token in its path or query, and the
// audit log keeps entries forever, so it is recorded by origin and fingerprint, never in full.
import { createHash } from "node:crypto";
import type { Tx } from "@/db/client";
import { recordAudit } from "@/lib/tenancy/audit";
import type { TenantContext } from "@/lib/tenancy/context";

export interface AuditedAiSettings {
  monthlyTokenLimit: number | null;
  monthlyMicroUsdLimit: number | null;
  memberMonthlyTokenCap: number | null;
  softLimitPercent: number;
  downgradeAtSoftLimit: boolean;
  warningWebhookUrl: string | null;
}

export type AuditedSetting = keyof AuditedAiSettings;

/** What a tenant that never saved its settings has (the columns' defaults). */
export const defaultAiSettings: AuditedAiSettings = {
  monthlyTokenLimit: null,
  monthlyMicroUsdLimit: null,
  memberMonthlyTokenCap: null,
  softLimitPercent: 80,
  downgradeAtSoftLimit: false,
  warningWebhookUrl: null,
};

export const aiSettingLabels: Record<AuditedSetting, string> = {
  monthlyTokenLimit: "Monthly token limit",
  monthlyMicroUsdLimit: "Monthly spending limit",
  memberMonthlyTokenCap: "Per-member monthly tokens",
  softLimitPercent: "Warning threshold (%)",
  downgradeAtSoftLimit: "Cheaper models at the warning threshold",
  warningWebhookUrl: "Warning webhook",
};

/** "https://hooks.example.com/… (sha256 1a2b3c4d)": tells two URLs apart without keeping either. */
function webhookFingerprint(url: string | null): string | null {
  if (url === null) return null;
  let origin = "invalid URL";
  try {
    origin = new URL(url).origin;
  } catch {
    // Validated before saving; kept total all the same.
  }
  return `${origin}/… (sha256 ${createHash("sha256").update(url).digest("hex").slice(0, 8)})`;
}

const recorded = (setting: AuditedSetting, value: AuditedAiSettings[AuditedSetting]) =>
  setting === "warningWebhookUrl" ? webhookFingerprint(value as string | null) : value;

/** Records one entry per setting that changed; returns how many. */
export async function auditAiSettingsChanges(tx: Tx, ctx: TenantContext, before: AuditedAiSettings, after: AuditedAiSettings): Promise<number> {
  const changed = (Object.keys(defaultAiSettings) as AuditedSetting[]).filter((setting) => before[setting] !== after[setting]);
  for (const setting of changed) {
    await recordAudit(tx, {
      tenantId: ctx.tenantId,
      actorUserId: ctx.userId,
      action: "ai_settings.changed",
      targetType: "ai_setting",
      targetId: setting,
      metadata: { setting, before: recorded(setting, before[setting]), after: recorded(setting, after[setting]) },
    });
  }
  return changed.length;
}
