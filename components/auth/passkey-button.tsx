"use client";
// Signs in with a passkey: asks the server for a challenge, lets the browser's authenticator sign
// it, and hands the answer to the server, which signs in and redirects. Used for the passwordless
// sign-in and for the second step after a password.
import { startAuthentication } from "@simplewebauthn/browser";
import { useState, useTransition } from "react";
import { idleState, type ActionState } from "@/lib/http/action-state";
import { passkeyErrorMessage } from "./passkey-errors";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface PasskeyButtonProps {
  optionsAction: Action;
  finishAction: Action;
  callbackUrl: string;
  label: string;
}

export function PasskeyButton({ optionsAction, finishAction, callbackUrl, label }: PasskeyButtonProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, startTransition] = useTransition();
  const run = () =>
    startTransition(async () => {
      setError(null);
      const started = await optionsAction(idleState, new FormData());
      if (!started.ok || !started.result?.options) {
        setError(started.message ?? "Could not start the passkey sign-in. Try again.");
        return;
      }
      let answer: string;
      try {
        answer = JSON.stringify(await startAuthentication({ optionsJSON: JSON.parse(started.result.options) }));
      } catch (failure) {
        setError(passkeyErrorMessage(failure));
        return;
      }
      const form = new FormData();
      form.set("passkey", answer);
      form.set("callbackUrl", callbackUrl);
      // On success the server redirects; a refusal comes back as state.
      const finished = await finishAction(idleState, form);
      if (finished && !finished.ok) setError(finished.message ?? "That passkey was not accepted.");
    });
  return (
    <div className="flex flex-col gap-2">
      <button
        type="button"
        onClick={run}
        disabled={busy}
        className="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-60"
      >
        {busy ? "Waiting for your passkey…" : label}
      </button>
      {error ? (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}
