"use client";
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

/** The code form of the second step: a code from the app or a recovery code. */
export function SecondStepForm({ action, callbackUrl }: { action: Action; callbackUrl: string }) {
  const [state, formAction] = useActionState(action, idleState);
  return (
    <form action={formAction} aria-label="Two-step verification" className="flex flex-col gap-4" noValidate>
      <FormMessage state={state} />
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <Field
        name="code"
        label="Code"
        autoComplete="one-time-code"
        autoFocus
        required
        hint="6 digits from your app, or a recovery code."
        error={state.fieldErrors?.code}
      />
      <SubmitButton pendingLabel="Checking…">Verify</SubmitButton>
    </form>
  );
}
