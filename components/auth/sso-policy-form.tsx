"use client";
// Settings → Sign-in: an admin requires single sign-on through the deployment's OIDC provider,
// optionally for one email domain.
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface SsoPolicyFormProps {
  action: Action;
  providerName: string;
  requireSso: boolean;
  emailDomain: string;
}

export function SsoPolicyForm({ action, providerName, requireSso, emailDomain }: SsoPolicyFormProps) {
  const [state, formAction] = useActionState(action, idleState);
  const checked = state.values ? state.values.requireSso === "on" : requireSso;
  return (
    <form action={formAction} className="flex max-w-md flex-col gap-3" noValidate>
      <FormMessage state={state} />
      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" name="requireSso" defaultChecked={checked} className="mt-1" />
        <span>Members must sign in through {providerName}</span>
      </label>
      <Field
        name="emailDomain"
        label="Only addresses at this domain (optional)"
        placeholder="example.com"
        defaultValue={state.values?.emailDomain ?? emailDomain}
        error={state.fieldErrors?.emailDomain}
        hint={`The address ${providerName} confirms must end with @ this domain.`}
      />
      <div>
        <SubmitButton pendingLabel="Saving…">Save sign-in policy</SubmitButton>
      </div>
    </form>
  );
}
