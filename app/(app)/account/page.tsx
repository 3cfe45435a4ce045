import type { Metadata } from "next";
import { AccountForm } from "@/components/auth/account-form";
import { TwoFactorSection } from "@/components/auth/two-factor-section";
import { ActionForm } from "@/components/ui/action-form";
import { PageHeader } from "@/components/ui/empty-state";
import { findMailTarget } from "@/lib/auth/account-mail";
import { listActiveSessions } from "@/lib/auth/session-list";
import { currentTotpSetup, twoFactorStatus } from "@/lib/auth/two-factor/factors";
import { formatDateTime } from "@/lib/format/dates";
import { DeleteAccountSection } from "./delete-account-section";
import { changeEmailAction, changePasswordAction, signOutOtherSessionsAction, signOutSessionAction } from "./actions";
import { twoFactorActions } from "./two-factor-section-actions";
import { userPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Your account" };

export default userPage(async ({ userId, sessionId }, { searchParams }: { searchParams: Promise<{ "email-changed"?: string }> }) => {
  const [me, sessions, params, twoFactor, pendingSetup] = await Promise.all([
    findMailTarget({ userId }),
    listActiveSessions(userId, sessionId),
    searchParams,
    twoFactorStatus(userId),
    currentTotpSetup({ userId }),
  ]);
  const others = sessions.filter((s) => !s.current).length;

  return (
    <>
      <PageHeader title="Your account" description="Your sign-in address, password and the devices signed in to your account." />
      {params["email-changed"] ? (
        <p role="status" className="mb-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          Your email address is now {me?.email}.
        </p>
      ) : null}

      <section aria-labelledby="email-heading" className="mb-8 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="email-heading" className="mb-1 text-lg font-semibold">
          Email
        </h2>
        <p className="mb-4 text-sm text-slate-600" data-testid="account-email">
          {me?.email} · {me?.emailVerified ? "confirmed" : "not confirmed yet"}
        </p>
        <AccountForm
          action={changeEmailAction}
          label="Change email"
          fields={[
            { name: "newEmail", label: "New email", type: "email", autoComplete: "email" },
            { name: "password", label: "Current password", type: "password", autoComplete: "current-password" },
          ]}
          submitLabel="Send a confirmation link"
          pendingLabel="Sending…"
        />
      </section>

      <section aria-labelledby="password-heading" className="mb-8 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="password-heading" className="mb-1 text-lg font-semibold">
          Password
        </h2>
        <p className="mb-4 text-sm text-slate-600">Changing it signs out every other device.</p>
        <AccountForm
          action={changePasswordAction}
          label="Change password"
          fields={[
            { name: "currentPassword", label: "Current password", type: "password", autoComplete: "current-password" },
            { name: "newPassword", label: "New password", type: "password", autoComplete: "new-password", hint: "At least 10 characters." },
          ]}
          submitLabel="Change password"
          pendingLabel="Saving…"
        />
      </section>

      <TwoFactorSection status={twoFactor} pendingSetup={pendingSetup} actions={twoFactorActions} />

      <section aria-labelledby="sessions-heading" className="rounded-lg border border-slate-200 bg-white p-4">
        <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
          <h2 id="sessions-heading" className="text-lg font-semibold">
            Signed-in devices
          </h2>
          {others > 0 ? (
            <ActionForm
              action={signOutOtherSessionsAction}
              submitLabel="Sign out everywhere else"
              variant="danger"
              confirmMessage="Sign out every other device?"
              label="Sign out everywhere else"
            />
          ) : null}
        </div>
        <ul className="divide-y divide-slate-200" data-testid="session-list">
          {sessions.map((session) => (
            <li key={session.id} className="flex flex-wrap items-center justify-between gap-2 py-3 text-sm" data-testid="session-row">
              <div>
                <p className="font-medium">
                  {session.device} {session.current ? <span className="text-slate-500">(this device)</span> : null}
                </p>
                <p className="text-xs text-slate-500">
                  {session.ip ? `${session.ip} · ` : ""}signed in {formatDateTime(session.createdAt)} UTC · last seen {formatDateTime(session.lastSeenAt)} UTC
                </p>
              </div>
              {session.current ? null : (
                <ActionForm action={signOutSessionAction} hidden={{ sessionId: session.id }} submitLabel="Sign out" label={`Sign out ${session.device}`} />
              )}
            </li>
          ))}
        </ul>
      </section>

      <DeleteAccountSection />
    </>
  );
});
