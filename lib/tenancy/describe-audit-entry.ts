// How the audit log page words an entry: a title per action, and its details (before → after for
// changes) in the units a person reads, from the entry's metadata.
import { aiSettingLabels, type AuditedSetting } from "@/lib/ai/ai-settings-audit";
import { rateLimitLabels } from "@/lib/ai/plans";
import type { AuditLogEntry } from "./audit-log";

const titles: Record<string, string> = {
  "tenant.created": "Workspace created",
  "tenant.renamed": "Workspace renamed",
  "tenant.plan_changed": "Plan changed",
  "tenant.deletion_scheduled": "Workspace scheduled for deletion",
  "tenant.deletion_cancelled": "Workspace deletion cancelled",
  "tenant.export_requested": "Workspace export requested",
  "member.account_deleted": "Member deleted their account",
  "invitation.created": "Invitation created",
  "invitation.revoked": "Invitation revoked",
  "invitation.resent": "Invitation sent again",
  "invitation.accepted": "Invitation accepted",
  "member.role_changed": "Role changed",
  "member.removed": "Member removed",
  "member.left": "Member left",
  "api_key.created": "API key created",
  "api_key.revoked": "API key revoked",
  "ai_settings.changed": "AI limit changed",
  "ai_settings.webhook_secret_created": "Webhook signing secret created",
  "ai_settings.webhook_secret_rotated": "Webhook signing secret rotated",
  "collection.created": "Collection created",
  "collection.renamed": "Collection renamed",
  "collection.deleted": "Collection deleted",
  "document.moved": "Document moved",
  "sso_policy.changed": "Sign-in policy changed",
};

const count = new Intl.NumberFormat("en");
const usd = new Intl.NumberFormat("en", { style: "currency", currency: "USD", maximumFractionDigits: 6 });
type Value = string | number | boolean | null | undefined;

function settingValue(setting: AuditedSetting, value: Value): string {
  if (value === null || value === undefined) {
    return setting === "warningWebhookUrl" ? "none" : setting === "memberMonthlyTokenCap" ? "no cap" : "the plan's allowance";
  }
  switch (setting) {
    case "monthlyMicroUsdLimit":
      return usd.format(Number(value) / 1_000_000);
    case "monthlyTokenLimit":
    case "memberMonthlyTokenCap":
      return `${count.format(Number(value))} tokens`;
    case "softLimitPercent":
      return `${String(value)}%`;
    case "downgradeAtSoftLimit":
      return value ? "on" : "off";
    default:
      return String(value);
  }
}

const isSetting = (name: Value): name is AuditedSetting => typeof name === "string" && name in aiSettingLabels;

export function describeAuditEntry(entry: Pick<AuditLogEntry, "action" | "metadata">): { title: string; details: string[] } {
  const title = titles[entry.action] ?? entry.action;
  const { metadata } = entry;
  if (entry.action === "ai_settings.changed" && typeof metadata.setting === "string" && Object.hasOwn(rateLimitLabels, metadata.setting)) {
    const label = rateLimitLabels[metadata.setting as keyof typeof rateLimitLabels];
    const value = (v: Value) => (v === null || v === undefined ? "the plan's" : count.format(Number(v)));
    return { title, details: [`${label}: ${value(metadata.before)} → ${value(metadata.after)}`] };
  }
  if (entry.action === "ai_settings.changed" && isSetting(metadata.setting)) {
    const setting = metadata.setting;
    return { title, details: [`${aiSettingLabels[setting]}: ${settingValue(setting, metadata.before)} → ${settingValue(setting, metadata.after)}`] };
  }
  if ("from" in metadata && "to" in metadata) {
    const rest = Object.entries(metadata).filter(([key]) => key !== "from" && key !== "to");
    return { title, details: [`${String(metadata.from)} → ${String(metadata.to)}`, ...rest.map(([key, value]) => `${key}: ${String(value)}`)] };
  }
  return { title, details: Object.entries(metadata).map(([key, value]) => `${key}: ${String(value)}`) };
}
