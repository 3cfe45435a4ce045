"use client";
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { ShownOnceSecret } from "@/components/ui/shown-once-secret";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

/** Creates a key and shows it once: only its hash is stored. */
export function ApiKeyForm({ action }: { action: Action }) {
  const [state, formAction] = useActionState(action, idleState);
  const key = state.ok ? state.result?.key : undefined;
  return (
    <div className="flex flex-col gap-3">
      <form action={formAction} className="flex flex-col gap-3 sm:flex-row sm:items-end" noValidate>
        <div className="flex-1">
          <Field name="name" label="Key name" placeholder="e.g. Support bot" defaultValue={state.values?.name} error={state.fieldErrors?.name} />
        </div>
        <SubmitButton pendingLabel="Creating…">Create API key</SubmitButton>
      </form>
      {!state.ok ? <FormMessage state={state} /> : null}
      {key ? <ShownOnceSecret label="New API key" value={key} /> : null}
    </div>
  );
}
