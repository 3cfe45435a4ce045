"use client";
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { ShownOnceSecret } from "@/components/ui/shown-once-secret";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export interface AiLimitsValues {
  monthlyTokenLimit: string;
  monthlyUsdLimit: string;
  memberMonthlyTokenCap: string;
  softLimitPercent: string;
  downgradeAtSoftLimit: boolean;
  warningWebhookUrl: string;
}

/** The plan's allowances as text ("500,000 tokens", "$5.00", or "no limit"), for the hints. */
export interface PlanAllowanceText {
  plan: string;
  tokens: string;
  usd: string;
}

export function AiLimitsForm({ action, values, allowance }: { action: Action; values: AiLimitsValues; allowance: PlanAllowanceText }) {
  const [state, formAction] = useActionState(action, idleState);
  const webhookSecret = state.ok ? state.result?.webhookSecret : undefined;
  const v = (name: keyof AiLimitsValues) => state.values?.[name] ?? String(values[name] ?? "");
  const errors = state.fieldErrors ?? {};
  return (
    <form action={formAction} className="grid gap-4 sm:grid-cols-2" noValidate>
      <div className="sm:col-span-2">
        <FormMessage state={state} />
      </div>
      <Field
        name="monthlyTokenLimit"
        label="Monthly token limit"
        inputMode="numeric"
        hint={`The ${allowance.plan} plan allows ${allowance.tokens}. Empty: the plan's allowance; you may set a lower limit, not a higher one.`}
        defaultValue={v("monthlyTokenLimit")}
        error={errors.monthlyTokenLimit}
      />
      <Field
        name="monthlyUsdLimit"
        label="Monthly spending limit (USD)"
        inputMode="decimal"
        hint={`The ${allowance.plan} plan allows ${allowance.usd}. Empty: the plan's allowance; you may set a lower limit, not a higher one.`}
        defaultValue={v("monthlyUsdLimit")}
        error={errors.monthlyUsdLimit}
      />
      <Field
        name="memberMonthlyTokenCap"
        label="Per-member monthly tokens"
        inputMode="numeric"
        hint="Empty: no per-member cap."
        defaultValue={v("memberMonthlyTokenCap")}
        error={errors.memberMonthlyTokenCap}
      />
      <Field name="softLimitPercent" label="Warn at (% of a limit)" inputMode="numeric" defaultValue={v("softLimitPercent")} error={errors.softLimitPercent} />
      <div className="sm:col-span-2">
        <Field
          name="warningWebhookUrl"
          label="Warning webhook URL"
          type="url"
          hint="Optional, https:// on the public internet: we POST quota warnings and alerts here as JSON, signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature)."
          defaultValue={v("warningWebhookUrl")}
          error={errors.warningWebhookUrl}
        />
      </div>
      <label className="flex items-center gap-2 text-sm sm:col-span-2">
        <input
          type="checkbox"
          name="downgradeAtSoftLimit"
          defaultChecked={state.values ? state.values.downgradeAtSoftLimit === "on" : values.downgradeAtSoftLimit}
          className="h-4 w-4"
        />
        Use the cheaper models once the warning threshold is reached
      </label>
      <div>
        <SubmitButton pendingLabel="Saving…">Save limits</SubmitButton>
      </div>
      {webhookSecret ? (
        <div className="sm:col-span-2">
          <ShownOnceSecret label="Webhook signing secret" value={webhookSecret} />
        </div>
      ) : null}
    </form>
  );
}
