"use client";
// A form around one text field and one server action (rename a workspace, create one).
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface SingleFieldFormProps {
  action: Action;
  name: string;
  label: string;
  submitLabel: string;
  pendingLabel: string;
  defaultValue?: string;
}

export function SingleFieldForm({ action, name, label, submitLabel, pendingLabel, defaultValue }: SingleFieldFormProps) {
  const [state, formAction] = useActionState(action, idleState);
  return (
    <form action={formAction} className="flex max-w-md flex-col gap-3" noValidate>
      <FormMessage state={state} />
      <Field name={name} label={label} defaultValue={state.values?.[name] ?? defaultValue} error={state.fieldErrors?.[name]} required />
      <div>
        <SubmitButton pendingLabel={pendingLabel}>{submitLabel}</SubmitButton>
      </div>
    </form>
  );
}
