"use client";
// One form for the account flows (forgot password, resend link, new password, change of email or
// password): declared fields, hidden values, the outcome above the fields.
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface AccountField {
  name: string;
  label: string;
  type: "email" | "password" | "text";
  autoComplete?: string;
  hint?: string;
}

interface AccountFormProps {
  action: Action;
  fields: AccountField[];
  hidden?: Record<string, string>;
  submitLabel: string;
  pendingLabel: string;
  label?: string;
  /** Clear the fields after a success (a request that was sent needs no second click). */
  hideOnSuccess?: boolean;
}

export function AccountForm({ action, fields, hidden = {}, submitLabel, pendingLabel, label, hideOnSuccess }: AccountFormProps) {
  const [state, formAction] = useActionState(action, idleState);
  if (hideOnSuccess && state.ok) return <FormMessage state={state} />;
  return (
    <form action={formAction} aria-label={label} className="flex flex-col gap-4" noValidate>
      <FormMessage state={state} />
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      {fields.map((field) => (
        <Field
          key={field.name}
          name={field.name}
          label={field.label}
          type={field.type}
          autoComplete={field.autoComplete}
          hint={field.hint}
          required
          defaultValue={field.type === "password" ? undefined : state.values?.[field.name]}
          error={state.fieldErrors?.[field.name]}
        />
      ))}
      <div>
        <SubmitButton pendingLabel={pendingLabel}>{submitLabel}</SubmitButton>
      </div>
    </form>
  );
}
