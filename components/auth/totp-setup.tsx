"use client";
// "Set up an authenticator app": a QR code and the secret as text, then the first code from the
// app turns it on and the recovery codes are shown once.
import { useActionState, useState, useTransition } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { SubmitButton } from "@/components/ui/submit-button";
import { idleState, type ActionState } from "@/lib/http/action-state";
import { RecoveryCodes } from "./recovery-codes";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface PendingSetup {
  secret: string;
  qrDataUrl: string;
}

export function TotpSetup({ startAction, confirmAction, pending }: { startAction: Action; confirmAction: Action; pending: PendingSetup | null }) {
  const [setup, setSetup] = useState<PendingSetup | null>(pending);
  const [startError, setStartError] = useState<string | null>(null);
  const [starting, startTransition] = useTransition();
  const [state, formAction] = useActionState(confirmAction, idleState);

  if (state.ok) {
    return (
      <div>
        <FormMessage state={state} />
        {state.result?.recoveryCodes ? <RecoveryCodes codes={state.result.recoveryCodes} /> : null}
      </div>
    );
  }
  if (!setup) {
    return (
      <div>
        <button
          type="button"
          disabled={starting}
          className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white disabled:opacity-60"
          onClick={() =>
            startTransition(async () => {
              const started = await startAction(idleState, new FormData());
              if (started.ok && started.result?.secret && started.result.qrDataUrl)
                setSetup({ secret: started.result.secret, qrDataUrl: started.result.qrDataUrl });
              else setStartError(started.message ?? "Could not start the set-up. Try again.");
            })
          }
        >
          {starting ? "Preparing…" : "Set up an authenticator app"}
        </button>
        {startError ? (
          <p role="alert" className="mt-2 text-sm text-red-700">
            {startError}
          </p>
        ) : null}
      </div>
    );
  }
  return (
    <div className="flex flex-col gap-3">
      <p className="text-sm text-slate-700">Scan this code with your authenticator app (Google Authenticator, 1Password, Authy…), or type the key into it.</p>
      {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL made on the server, nothing to optimise */}
      <img src={setup.qrDataUrl} alt="QR code for your authenticator app" width={180} height={180} className="rounded border border-slate-200" />
      <p className="text-sm">
        Key:{" "}
        <code className="font-mono tracking-wider" data-testid="totp-secret">
          {setup.secret}
        </code>
      </p>
      <form action={formAction} aria-label="Confirm authenticator app" className="flex max-w-xs flex-col gap-3" noValidate>
        <FormMessage state={state} />
        <Field name="code" label="Code from your app" inputMode="numeric" autoComplete="one-time-code" required error={state.fieldErrors?.code} />
        <div>
          <SubmitButton pendingLabel="Checking…">Turn on</SubmitButton>
        </div>
      </form>
    </div>
  );
}
