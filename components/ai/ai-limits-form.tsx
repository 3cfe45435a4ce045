"use client";
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
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

export function AiLimitsForm({ action, values }: { action: Action; values: AiLimitsValues }) {
  const [state, formAction] = useActionState(action, idleState);
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
        hint="Empty: the plan's allowance."
        defaultValue={v("monthlyTokenLimit")}
        error={errors.monthlyTokenLimit}
      />
      <Field
        name="monthlyUsdLimit"
        label="Monthly spending limit (USD)"
        inputMode="decimal"
        hint="Empty: the plan's allowance."
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
          hint="Optional: we POST the warning here as JSON."
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
    </form>
  );
}
