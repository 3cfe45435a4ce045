"use client";
// A two-factor change that needs proof of the owner (the password or a current app code): turning
// the app off, new recovery codes (shown once, here).
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";
import { RecoveryCodes } from "./recovery-codes";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface OwnerProofFormProps {
  action: Action;
  label: string;
  submitLabel: string;
  variant?: "danger";
  hidden?: Record<string, string>;
}

export function OwnerProofForm({ action, label, submitLabel, variant, hidden = {} }: OwnerProofFormProps) {
  const [state, formAction] = useActionState(action, idleState);
  if (state.ok && state.result?.recoveryCodes) {
    return (
      <div>
        <FormMessage state={state} />
        <RecoveryCodes codes={state.result.recoveryCodes} />
      </div>
    );
  }
  return (
    <form action={formAction} aria-label={label} className="flex max-w-sm flex-col gap-3" noValidate>
      <FormMessage state={state} />
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <Field
        name="proof"
        label="Your password or a code from your app"
        type="password"
        autoComplete="current-password"
        required
        error={state.fieldErrors?.proof}
      />
      <div>
        <SubmitButton pendingLabel="Checking…" variant={variant}>
          {submitLabel}
        </SubmitButton>
      </div>
    </form>
  );
}
