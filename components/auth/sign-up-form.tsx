"use client";
import { useActionState } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

/** Sign-up; without `askWorkspace` the new account joins the invitation's workspace instead. */
export function SignUpForm({ action, askWorkspace, hidden = {} }: { action: Action; askWorkspace: boolean; hidden?: Record<string, string> }) {
  const [state, formAction] = useActionState(action, idleState);
  const errors = state.fieldErrors ?? {};
  return (
    <form action={formAction} className="flex flex-col gap-4" noValidate>
      <FormMessage state={state} />
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <Field name="name" label="Your name" autoComplete="name" required defaultValue={state.values?.name} error={errors.name} />
      <Field name="email" label="Email" type="email" autoComplete="email" required defaultValue={state.values?.email} error={errors.email} />
      <Field name="password" label="Password" type="password" autoComplete="new-password" required hint="At least 10 characters." error={errors.password} />
      {askWorkspace ? (
        <Field
          name="workspaceName"
          label="Workspace name"
          required
          hint="Usually your team or company."
          defaultValue={state.values?.workspaceName}
          error={errors.workspaceName}
        />
      ) : null}
      <SubmitButton pendingLabel="Creating your account…">{askWorkspace ? "Create account and workspace" : "Create account and join"}</SubmitButton>
    </form>
  );
}
