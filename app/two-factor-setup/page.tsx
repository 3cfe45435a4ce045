import Link from "next/link";
import type { Metadata } from "next";
import { TwoFactorSection } from "@/components/auth/two-factor-section";
import { currentTotpSetup, twoFactorStatus } from "@/lib/auth/two-factor/factors";
import { userPage } from "@/lib/http/guarded-page";
import { twoFactorActions } from "../(app)/account/two-factor-section-actions";
import { signOutAction } from "../(app)/actions";

export const metadata: Metadata = { title: "Set up two-factor authentication" };

/**
 * Where the guard sends a member of a workspace that requires two factors while they have none
 * (lib/auth/two-factor/policy.ts). Outside the workspace's layout, which the same guard refuses.
 */
export default userPage(async ({ userId }) => {
  const [status, pendingSetup] = await Promise.all([twoFactorStatus(userId), currentTotpSetup({ userId })]);
  const done = status.totp === "on" || status.passkeys.length > 0;
  return (
    <main className="mx-auto w-full max-w-2xl px-4 py-10">
      <h1 className="text-2xl font-semibold">Set up two-factor authentication</h1>
      <p role="status" className="mt-2 mb-6 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="two-factor-required">
        {done
          ? "You have a second factor now: this workspace is open to you."
          : "Your workspace requires two-factor authentication of every member. Set up an authenticator app or a passkey to continue; until then the workspace stays closed to you."}
      </p>
      {done ? (
        <p className="mb-6">
          <Link href="/chat" className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white">
            Continue to the workspace
          </Link>
        </p>
      ) : null}
      <TwoFactorSection status={status} pendingSetup={pendingSetup} actions={twoFactorActions} />
      <div className="flex flex-wrap gap-4 text-sm">
        <Link href="/workspaces" className="font-medium text-indigo-700 underline">
          Open another workspace
        </Link>
        <form action={signOutAction}>
          <button type="submit" className="text-slate-700 underline">
            Sign out
          </button>
        </form>
      </div>
    </main>
  );
});
