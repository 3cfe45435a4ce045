"use client";
// Adds a passkey to the account: a name, then the browser creates the credential over the
// server's challenge, and the server checks and stores it.
import { startRegistration } from "@simplewebauthn/browser";
import { useState, useTransition } from "react";
import { Field } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { idleState, type ActionState } from "@/lib/http/action-state";
import { passkeyErrorMessage } from "./passkey-errors";
import { RecoveryCodes } from "./recovery-codes";
import { useRouter } from "next/navigation";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function PasskeyRegister({ startAction, finishAction }: { startAction: Action; finishAction: Action }) {
  const router = useRouter();
  const [state, setState] = useState<ActionState>(idleState);
  const [busy, startTransition] = useTransition();
  const submit = (formData: FormData) =>
    startTransition(async () => {
      const name = String(formData.get("name") ?? "").trim();
      if (!name) {
        setState({ ok: false, message: "Name this passkey first.", fieldErrors: { name: "Name this passkey (for example, “Work laptop”)." } });
        return;
      }
      const started = await startAction(idleState, new FormData());
      if (!started.ok || !started.result?.options || !started.result.challengeId) {
        setState(started.ok ? { ok: false, message: "Could not start. Try again." } : started);
        return;
      }
      let response: string;
      try {
        response = JSON.stringify(await startRegistration({ optionsJSON: JSON.parse(started.result.options) }));
      } catch (failure) {
        setState({ ok: false, message: passkeyErrorMessage(failure) });
        return;
      }
      const form = new FormData();
      form.set("challengeId", started.result.challengeId);
      form.set("name", name);
      form.set("response", response);
      const finished = await finishAction(idleState, form);
      setState(finished);
      if (finished.ok && !finished.result?.recoveryCodes) router.refresh();
    });

  if (state.ok && state.result?.recoveryCodes) {
    return (
      <div>
        <FormMessage state={state} />
        <RecoveryCodes codes={state.result.recoveryCodes} />
      </div>
    );
  }
  return (
    <form action={submit} aria-label="Add a passkey" className="flex max-w-sm flex-col gap-3" noValidate>
      <FormMessage state={state} />
      <Field name="name" label="Passkey name" placeholder="Work laptop" maxLength={60} required error={state.fieldErrors?.name} />
      <div>
        <button type="submit" disabled={busy} className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white disabled:opacity-60">
          {busy ? "Waiting for your passkey…" : "Add a passkey"}
        </button>
      </div>
    </form>
  );
}
