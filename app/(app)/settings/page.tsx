import Link from "next/link";
import type { Metadata } from "next";
import { AiLimitsForm } from "@/components/ai/ai-limits-form";
import { RateLimitsForm } from "@/components/ai/rate-limits-form";
import { ApiKeyForm } from "@/components/ai/api-key-form";
import { WebhookSecretForm } from "@/components/ai/webhook-secret-form";
import { ReembedPanel } from "@/components/embeddings/reembed-panel";
import { SingleFieldForm } from "@/components/ui/single-field-form";
import { ActionForm } from "@/components/ui/action-form";
import { PageHeader } from "@/components/ui/empty-state";
import { getGateway, isGatewayError } from "@/lib/ai";
import { getAiProfile } from "@/lib/ai/ai-settings";
import { planRateLimits, rateLimitLabels, rateLimitNames } from "@/lib/ai/plans";
import { formatUsd } from "@/lib/ai/usage-report";
import { listApiKeys } from "@/lib/auth/api-keys";
import { twoFactorRequired } from "@/lib/auth/two-factor/policy";
import { SsoPolicyForm } from "@/components/auth/sso-policy-form";
import { workspaceSsoProviderName } from "@/lib/auth/sso/sso-settings";
import { getWorkspaceSsoPolicy, type SsoPolicy } from "@/lib/auth/sso/workspace-sso-policy";
import { describeAiProviders } from "@/lib/config/runtime-summary";
import { estimateReembed, type ReembedEstimate } from "@/lib/documents/reembed/plan";
import { hasRole } from "@/lib/tenancy/roles";
import { getTenant } from "@/lib/tenancy/tenants";
import {
  createApiKeyAction,
  renameTenantAction,
  revokeApiKeyAction,
  rollbackReembedAction,
  rotateWebhookSecretAction,
  setTwoFactorRequirementAction,
  startReembedAction,
  updateAiSettingsAction,
  updateRateLimitsAction,
  updateSsoPolicyAction,
} from "./actions";
import { formatDate } from "@/lib/format/dates";
import { tenantPage } from "@/lib/http/guarded-page";
import { LeavingSection } from "./leaving-section";

export const metadata: Metadata = { title: "Settings" };

const number = new Intl.NumberFormat("en");
const tokensText = (n: number | null) => (n === null ? "no limit" : `${number.format(n)} tokens`);
const creatorLabel = (key: { createdBy: string | null; creatorName: string | null }) =>
  key.creatorName ?? (key.createdBy ? "a former member" : "a deleted account");
const usdText = (n: number | null) => (n === null ? "no limit" : formatUsd(n));
/** Re-embedding a few passages costs fractions of a cent: say so rather than "$0.0000". */
const costText = (microUsd: number) => (microUsd > 0 && microUsd < 100 ? "< $0.0001" : formatUsd(microUsd));

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <section aria-labelledby={id} className="mt-6 rounded-lg border border-slate-200 bg-white p-4 first:mt-0">
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

function ReembedSection({ estimate }: { estimate: ReembedEstimate }) {
  const job = estimate.latestJob;
  return (
    <ReembedPanel
      model={estimate.target.model}
      stale={{ chunks: estimate.chunks, tokens: estimate.tokens, documents: estimate.documents }}
      cost={costText(estimate.costMicroUsd)}
      onlineCost={costText(estimate.onlineCostMicroUsd)}
      usesBatch={estimate.usesBatch}
      partialChunks={estimate.partialChunks}
      job={job ? { id: job.id, status: job.status, stage: job.stage, done: job.done, total: job.total, message: job.message } : null}
      actions={{ start: startReembedAction, rollback: rollbackReembedAction }}
    />
  );
}

/** The workspace's sign-in policy: single sign-on through the deployment's OIDC provider, when it has one. */
function SsoPolicySection({ policy }: { policy: SsoPolicy | null }) {
  const providerName = workspaceSsoProviderName();
  if (!providerName) {
    return (
      <p className="text-sm text-slate-600" data-testid="sso-policy-unavailable">
        {policy?.requireSso
          ? "This workspace requires single sign-on, but this server no longer has an OIDC provider configured."
          : "To require single sign-on, whoever runs Keel configures an OIDC provider (KEEL_OIDC_ISSUER and friends)."}
      </p>
    );
  }
  return (
    <SsoPolicyForm
      action={updateSsoPolicyAction}
      providerName={providerName}
      requireSso={policy?.requireSso ?? false}
      emailDomain={policy?.emailDomain ?? ""}
    />
  );
}

export default tenantPage({ role: "member" }, async (ctx) => {
  const isAdmin = hasRole(ctx.role, "admin");
  const [tenant, profile, keys, reembed, requiresTwoFactor] = await Promise.all([
    getTenant(ctx),
    getAiProfile(ctx),
    isAdmin ? listApiKeys(ctx) : Promise.resolve([]),
    isAdmin ? estimateReembed(ctx).catch((error: unknown) => (isGatewayError(error) ? error.message : Promise.reject(error))) : Promise.resolve(null),
    twoFactorRequired(ctx.tenantId),
  ]);
  const ssoPolicy = isAdmin ? await getWorkspaceSsoPolicy(ctx.tenantId) : null;
  const gateway = getGateway();
  return (
    <>
      <PageHeader title="Settings" />
      <Section id="workspace-heading" title="Workspace">
        <dl className="mb-4 grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
          <dt className="text-slate-500">Slug</dt>
          <dd className="font-mono">{tenant.slug}</dd>
          <dt className="text-slate-500">Plan</dt>
          <dd className="capitalize">{tenant.plan}</dd>
        </dl>
        {isAdmin ? (
          <SingleFieldForm
            action={renameTenantAction}
            name="name"
            label="Workspace name"
            submitLabel="Save"
            pendingLabel="Saving…"
            defaultValue={tenant.name}
          />
        ) : (
          <p className="text-sm text-slate-600">Owners and admins can rename the workspace.</p>
        )}
      </Section>

      <Section id="security-heading" title="Security">
        <p className="mb-3 text-sm text-slate-700" data-testid="two-factor-policy">
          {requiresTwoFactor
            ? "Two-factor authentication is required: a member without an authenticator app or a passkey is sent to set one up before they can use this workspace."
            : "Two-factor authentication is optional for members."}{" "}
          API keys are not affected.
        </p>
        {isAdmin ? (
          <ActionForm
            action={setTwoFactorRequirementAction}
            hidden={{ required: requiresTwoFactor ? "off" : "on" }}
            submitLabel={requiresTwoFactor ? "Stop requiring two-factor authentication" : "Require two-factor authentication"}
            variant={requiresTwoFactor ? "secondary" : "primary"}
            label="Two-factor requirement"
          />
        ) : null}
      </Section>

      <Section id="ai-heading" title="AI providers">
        <p className="text-sm text-slate-700" data-testid="ai-providers">
          {describeAiProviders({ withUrls: isAdmin }).join(", ") || "None configured: Keel runs on its offline model"}
        </p>
        {gateway.offline ? (
          <p className="mt-2 text-sm text-amber-800">
            Answers come from Keel&apos;s offline model: extractive, deterministic, and free. Configure a provider key for real models.
          </p>
        ) : null}
      </Section>

      {isAdmin ? (
        <>
          <Section id="limits-heading" title="AI limits">
            <dl className="mb-4 grid grid-cols-[auto_1fr_1fr] gap-x-6 gap-y-1 text-sm" data-testid="limits-summary">
              <dt className="text-slate-500">Monthly</dt>
              <dd className="text-slate-500">Tokens</dd>
              <dd className="text-slate-500">Spending</dd>
              <dt className="text-slate-500">
                Plan allowance (<span className="capitalize">{profile.plan}</span>)
              </dt>
              <dd>{tokensText(profile.allowance.monthlyTokens)}</dd>
              <dd>{usdText(profile.allowance.monthlyMicroUsd)}</dd>
              <dt className="text-slate-500">Your limit</dt>
              <dd>{profile.ownTokenLimit === null ? "the plan's" : tokensText(profile.ownTokenLimit)}</dd>
              <dd>{profile.ownMicroUsdLimit === null ? "the plan's" : usdText(profile.ownMicroUsdLimit)}</dd>
              <dt className="font-medium">In force</dt>
              <dd className="font-medium">{tokensText(profile.tokenLimit)}</dd>
              <dd className="font-medium">{usdText(profile.microUsdLimit)}</dd>
            </dl>
            <AiLimitsForm
              action={updateAiSettingsAction}
              allowance={{ plan: profile.plan, tokens: tokensText(profile.allowance.monthlyTokens), usd: usdText(profile.allowance.monthlyMicroUsd) }}
              values={{
                monthlyTokenLimit: profile.ownTokenLimit === null ? "" : String(profile.ownTokenLimit),
                monthlyUsdLimit: profile.ownMicroUsdLimit === null ? "" : String(profile.ownMicroUsdLimit / 1_000_000),
                memberMonthlyTokenCap: profile.memberTokenCap === null ? "" : String(profile.memberTokenCap),
                softLimitPercent: String(profile.softLimitPercent),
                downgradeAtSoftLimit: profile.downgradeAtSoftLimit,
                warningWebhookUrl: profile.warningWebhookUrl ?? "",
              }}
            />
            {profile.warningWebhookUrl ? (
              <div className="mt-4 border-t border-slate-200 pt-4">
                <h3 className="mb-2 text-sm font-semibold">Webhook signing secret</h3>
                <WebhookSecretForm action={rotateWebhookSecretAction} secretSet={profile.webhookSecretSet} />
              </div>
            ) : null}
          </Section>

          <Section id="rate-limits-heading" title="API rate limits">
            <p className="mb-3 text-sm text-slate-600">
              Per minute on the OpenAI-compatible API: each key, and all keys of this workspace together. A call over a limit gets HTTP 429 with Retry-After;
              every answer says what is left in OpenAI&apos;s <code className="font-mono">x-ratelimit-*</code> headers.
            </p>
            <dl className="mb-4 grid grid-cols-[auto_1fr] gap-x-6 gap-y-1 text-sm" data-testid="rate-limits-summary">
              {rateLimitNames.map((name) => (
                <div key={name} className="contents">
                  <dt className="text-slate-500">{rateLimitLabels[name]}</dt>
                  <dd className="font-medium">{number.format(profile.rateLimits[name])}</dd>
                </div>
              ))}
            </dl>
            <RateLimitsForm
              action={updateRateLimitsAction}
              raisable={!planRateLimits[profile.plan].capped}
              fields={rateLimitNames.map((name) => ({
                name,
                label: rateLimitLabels[name],
                plan: number.format(planRateLimits[profile.plan].limits[name]),
                value: profile.ownRateLimits[name] === null ? "" : String(profile.ownRateLimits[name]),
              }))}
            />
          </Section>

          <Section id="reembed-heading" title="Embeddings">
            {typeof reembed === "string" ? <p className="text-sm text-amber-800">{reembed}</p> : reembed ? <ReembedSection estimate={reembed} /> : null}
          </Section>

          <Section id="sso-heading" title="Sign-in">
            <SsoPolicySection policy={ssoPolicy} />
          </Section>

          <Section id="keys-heading" title="API keys">
            <p className="mb-3 text-sm text-slate-600">
              For the OpenAI-compatible API at <code className="font-mono">/api/v1</code> (chat completions, responses, embeddings, models). Same limits, cache
              and metering as the app.
            </p>
            <p className="mb-3 text-sm text-slate-600" data-testid="api-key-lifetime">
              A key stops working when the person who created it leaves this workspace, is removed, or is no longer an owner or admin. Create keys for
              long-lived integrations from an account that will keep that role.
            </p>
            <ApiKeyForm action={createApiKeyAction} />
            {keys.length > 0 ? (
              <ul className="mt-4 divide-y divide-slate-200 rounded-md border border-slate-200" data-testid="api-key-list">
                {keys.map((key) => (
                  <li key={key.id} className="flex flex-wrap items-center justify-between gap-2 p-3 text-sm">
                    <span>
                      <span className="font-medium">{key.name}</span> <code className="font-mono text-slate-600">{key.prefix}…</code>
                      <span className="block text-xs text-slate-500">
                        created {formatDate(key.createdAt)} by {creatorLabel(key)} · {key.lastUsedAt ? `last used ${formatDate(key.lastUsedAt)}` : "never used"}
                        {key.revokedAt ? ` · revoked ${formatDate(key.revokedAt)}` : ""}
                      </span>
                    </span>
                    {key.revokedAt ? (
                      <span className="text-xs text-slate-500">Revoked</span>
                    ) : (
                      <ActionForm
                        action={revokeApiKeyAction}
                        hidden={{ apiKeyId: key.id }}
                        submitLabel="Revoke"
                        variant="danger"
                        confirmMessage={`Revoke ${key.name}? Programs using it stop working.`}
                        label={`Revoke ${key.name}`}
                      />
                    )}
                  </li>
                ))}
              </ul>
            ) : null}
          </Section>
        </>
      ) : null}

      {ctx.role === "owner" ? <LeavingSection ctx={ctx} workspaceName={tenant.name} /> : null}

      <p className="mt-6 text-sm">
        <Link href="/workspaces" className="font-medium text-indigo-700 underline">
          Your workspaces — open or create another
        </Link>
      </p>
    </>
  );
});
