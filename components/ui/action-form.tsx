"use client";
// A small form around one server action: hidden fields, optional confirmation, inline outcome.
import { useActionState, type ReactNode } from "react";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface ActionFormProps {
  action: Action;
  hidden?: Record<string, string>;
  submitLabel: string;
  pendingLabel?: string;
  variant?: "primary" | "secondary" | "danger";
  /** Asked before submitting; cancelling submits nothing. */
  confirmMessage?: string;
  children?: ReactNode;
  label?: string;
}

export function ActionForm({ action, hidden = {}, submitLabel, pendingLabel, variant = "secondary", confirmMessage, children, label }: ActionFormProps) {
  const [state, formAction] = useActionState(action, idleState);
  return (
    <form
      action={formAction}
      aria-label={label}
      className="flex flex-wrap items-center gap-2"
      onSubmit={(event) => {
        if (confirmMessage && !window.confirm(confirmMessage)) event.preventDefault();
      }}
    >
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      {children}
      <SubmitButton variant={variant} pendingLabel={pendingLabel}>
        {submitLabel}
      </SubmitButton>
      {state.message && !state.ok ? (
        <p role="alert" className="w-full text-sm text-red-700">
          {state.message}
        </p>
      ) : null}
    </form>
  );
}
