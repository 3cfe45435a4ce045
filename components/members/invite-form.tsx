"use client";
import { useActionState } from "react";
import { Field, SelectField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

const roleOptions = [
  { value: "member", label: "Member" },
  { value: "admin", label: "Admin" },
] as const;

/** Creates an invitation link; the link is shown once, since only its hash is stored. */
export function InviteForm({ action }: { action: Action }) {
  const [state, formAction] = useActionState(action, idleState);
  const link = state.ok ? state.result?.link : undefined;
  return (
    <div className="flex flex-col gap-4">
      <form action={formAction} className="grid gap-4 sm:grid-cols-[1fr_1fr_auto] sm:items-end" noValidate>
        <SelectField name="role" label="Role" options={roleOptions} defaultValue={state.values?.role ?? "member"} error={state.fieldErrors?.role} />
        <Field name="expiresInDays" label="Expires after (days)" type="number" min={1} max={30} defaultValue={state.values?.expiresInDays ?? "7"} error={state.fieldErrors?.expiresInDays} />
        <SubmitButton pendingLabel="Creating link…">Create invitation link</SubmitButton>
      </form>
      {!state.ok ? <FormMessage state={state} /> : null}
      {link ? (
        <div role="status" className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">
          <label htmlFor="invitation-link" className="font-medium">
            Invitation link (shown once — copy it now)
          </label>
          <div className="mt-2 flex gap-2">
            <input id="invitation-link" readOnly value={link} className="w-full rounded-md border border-emerald-300 bg-white px-2 py-1 font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" className="rounded-md border border-emerald-400 px-3 py-1" onClick={() => void navigator.clipboard?.writeText(link)}>
              Copy
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
