"use client";
import { useActionState } from "react";
import { FormMessage } from "@/components/ui/form-message";
import { ShownOnceSecret } from "@/components/ui/shown-once-secret";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

/** Replaces the webhook signing secret and shows the new one once (it is never shown again). */
export function WebhookSecretForm({ action, secretSet }: { action: Action; secretSet: boolean }) {
  const [state, formAction] = useActionState(action, idleState);
  const secret = state.ok ? state.result?.webhookSecret : undefined;
  return (
    <div className="flex flex-col gap-3">
      <p className="text-sm text-slate-600">
        {secretSet
          ? "Deliveries are signed (Standard Webhooks) with a secret shown once when it was created, in the whsec_… form any Standard Webhooks library takes. Rotate it if it leaked or was lost; the old one stops working at once."
          : "This webhook has no signing secret yet, so nothing is sent to it. Create one and give it to your receiver's Standard Webhooks library."}
      </p>
      <form
        action={formAction}
        onSubmit={(event) => {
          if (secretSet && !window.confirm("Replace the signing secret? Your receiver must use the new one from now on.")) event.preventDefault();
        }}
      >
        <SubmitButton variant="secondary" pendingLabel="Creating…">
          {secretSet ? "Rotate signing secret" : "Create signing secret"}
        </SubmitButton>
      </form>
      {!state.ok ? <FormMessage state={state} /> : null}
      {secret ? <ShownOnceSecret label="Webhook signing secret" value={secret} /> : null}
    </div>
  );
}
