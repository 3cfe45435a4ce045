// Two-factor authentication on Your account and on the set-up page a workspace sends its members
// to: the authenticator app, passkeys and recovery codes, each with what it does.
import { ActionForm } from "@/components/ui/action-form";
import type { ActionState } from "@/lib/http/action-state";
import { formatDate } from "@/lib/format/dates";
import { OwnerProofForm } from "./owner-proof-form";
import { PasskeyRegister } from "./passkey-register";
import { TotpSetup } from "./totp-setup";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

interface TwoFactorSectionProps {
  status: {
    totp: "off" | "pending" | "on";
    passkeys: Array<{ id: string; name: string; createdAt: Date; lastUsedAt: Date | null }>;
    recoveryCodesLeft: number;
  };
  pendingSetup: { secret: string; qrDataUrl: string } | null;
  actions: {
    startTotp: Action;
    confirmTotp: Action;
    turnOffTotp: Action;
    regenerateCodes: Action;
    startPasskey: Action;
    finishPasskey: Action;
    removePasskey: Action;
  };
}

export function TwoFactorSection({ status, pendingSetup, actions }: TwoFactorSectionProps) {
  const hasFactor = status.totp === "on" || status.passkeys.length > 0;
  const lastFactor = status.totp !== "on" && status.passkeys.length === 1;
  return (
    <section aria-labelledby="two-factor-heading" className="mb-8 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="two-factor-heading" className="mb-1 text-lg font-semibold">
        Two-factor authentication
      </h2>
      <p className="mb-4 text-sm text-slate-600" data-testid="two-factor-status">
        {hasFactor ? "On: signing in with your password also asks for a code or a passkey." : "Off: your password alone signs you in."}
      </p>

      <h3 className="mb-2 text-sm font-semibold">Authenticator app</h3>
      <div className="mb-6">
        {status.totp === "on" ? (
          <>
            <p className="mb-3 text-sm text-slate-700">On.</p>
            <OwnerProofForm action={actions.turnOffTotp} label="Turn off the authenticator app" submitLabel="Turn off the app" variant="danger" />
          </>
        ) : (
          <TotpSetup startAction={actions.startTotp} confirmAction={actions.confirmTotp} pending={pendingSetup} />
        )}
      </div>

      <h3 className="mb-2 text-sm font-semibold">Passkeys</h3>
      <p className="mb-3 text-sm text-slate-600">
        A passkey (your device&apos;s fingerprint, face or PIN, or a security key) is a second factor, and also signs you in on its own.
      </p>
      {status.passkeys.length > 0 ? (
        <ul className="mb-3 divide-y divide-slate-200 rounded-md border border-slate-200" data-testid="passkey-list">
          {status.passkeys.map((passkey) => (
            <li key={passkey.id} className="flex flex-wrap items-center justify-between gap-2 p-3 text-sm">
              <span>
                <span className="font-medium">{passkey.name}</span>
                <span className="block text-xs text-slate-500">
                  added {formatDate(passkey.createdAt)} · {passkey.lastUsedAt ? `last used ${formatDate(passkey.lastUsedAt)}` : "never used"}
                </span>
              </span>
              {lastFactor ? (
                // Removing the last second factor turns two-factor sign-in off: it needs the password.
                <OwnerProofForm
                  action={actions.removePasskey}
                  hidden={{ passkeyId: passkey.id }}
                  label={`Remove ${passkey.name}`}
                  submitLabel="Remove"
                  variant="danger"
                />
              ) : (
                <ActionForm
                  action={actions.removePasskey}
                  hidden={{ passkeyId: passkey.id }}
                  submitLabel="Remove"
                  variant="danger"
                  confirmMessage={`Remove the passkey ${passkey.name}?`}
                  label={`Remove ${passkey.name}`}
                />
              )}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="mb-6">
        <PasskeyRegister startAction={actions.startPasskey} finishAction={actions.finishPasskey} />
      </div>

      {hasFactor ? (
        <>
          <h3 className="mb-2 text-sm font-semibold">Recovery codes</h3>
          <p className="mb-3 text-sm text-slate-600" data-testid="recovery-codes-left">
            {status.recoveryCodesLeft} of 10 left. Each signs you in once when you have neither your app nor a passkey.
          </p>
          <OwnerProofForm action={actions.regenerateCodes} label="New recovery codes" submitLabel="Make new recovery codes" />
        </>
      ) : null}
    </section>
  );
}
