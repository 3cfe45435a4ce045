"use client";
import { useActionState, useState } from "react";
import { Field, SelectField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { ShownOnceSecret } from "@/components/ui/shown-once-secret";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

const roleOptions = [
  { value: "member", label: "Member" },
  { value: "admin", label: "Admin" },
] as const;

/** Invites by email, or creates a link to copy (shown once, since only its hash is stored). */
export function InviteForm({ action }: { action: Action }) {
  const [state, formAction] = useActionState(action, idleState);
  const link = state.ok ? state.result?.link : undefined;
  // The button says what will happen: a link to copy, or an email.
  const [emailed, setEmailed] = useState(false);
  return (
    <div className="flex flex-col gap-4">
      <form action={formAction} className="grid gap-4 sm:grid-cols-[2fr_1fr_1fr_auto] sm:items-end" noValidate>
        <Field
          name="email"
          label="Email (optional)"
          type="email"
          autoComplete="off"
          hint="Leave empty for a link to copy."
          defaultValue={state.ok ? "" : state.values?.email}
          onChange={(event) => setEmailed(event.currentTarget.value.trim() !== "")}
          error={state.fieldErrors?.email}
        />
        <SelectField name="role" label="Role" options={roleOptions} defaultValue={state.values?.role ?? "member"} error={state.fieldErrors?.role} />
        <Field
          name="expiresInDays"
          label="Expires after (days)"
          type="number"
          min={1}
          max={30}
          defaultValue={state.values?.expiresInDays ?? "7"}
          error={state.fieldErrors?.expiresInDays}
        />
        <SubmitButton pendingLabel={emailed ? "Sending…" : "Creating link…"}>{emailed ? "Send invitation" : "Create invitation link"}</SubmitButton>
      </form>
      {!state.ok || !link ? <FormMessage state={state} /> : null}
      {link ? <ShownOnceSecret label="Invitation link" value={link} /> : null}
    </div>
  );
}
