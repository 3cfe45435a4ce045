"use client";
// The API rate limits an admin sets: per key and for the whole workspace, requests and tokens per
// minute. Empty keeps the plan's figure (shown as the hint).
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

type RateLimitField = "keyRequestsPerMinute" | "keyTokensPerMinute" | "workspaceRequestsPerMinute" | "workspaceTokensPerMinute";

export interface RateLimitFieldText {
  name: RateLimitField;
  label: string;
  /** What the plan gives, as text ("60"). */
  plan: string;
  /** What the admin set, or "" for the plan's. */
  value: string;
}

export function RateLimitsForm({ action, fields, raisable }: { action: Action; fields: RateLimitFieldText[]; raisable: boolean }) {
  const [state, formAction] = useActionState(action, idleState);
  const errors = state.fieldErrors ?? {};
  return (
    <form action={formAction} className="grid gap-4 sm:grid-cols-2" noValidate aria-label="API rate limits">
      <div className="sm:col-span-2">
        <FormMessage state={state} />
      </div>
      {fields.map((field) => (
        <Field
          key={field.name}
          name={field.name}
          label={field.label}
          inputMode="numeric"
          hint={`The plan's: ${field.plan}. Empty keeps it; ${raisable ? "you may set any figure" : "you may set a lower one, not a higher one"}.`}
          defaultValue={state.values?.[field.name] ?? field.value}
          error={errors[field.name]}
        />
      ))}
      <div>
        <SubmitButton pendingLabel="Saving…">Save rate limits</SubmitButton>
      </div>
    </form>
  );
}
