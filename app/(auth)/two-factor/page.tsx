import Link from "next/link";
import type { Metadata } from "next";
import { cookies } from "next/headers";
import { PasskeyButton } from "@/components/auth/passkey-button";
import { SecondStepForm } from "@/components/auth/second-step-form";
import { findLiveChallenge, secondStepCookie } from "@/lib/auth/two-factor/challenges";
import { secondStepMethods } from "@/lib/auth/two-factor/second-step";
import { publicPage } from "@/lib/http/guarded-page";
import { safeRedirectPath } from "@/lib/http/safe-redirect";
import { secondStepCodeAction, secondStepPasskeyAction, secondStepPasskeyOptionsAction } from "./actions";

export const metadata: Metadata = { title: "Two-step verification" };

/** The second step after the right password: which attempt comes from the HttpOnly cookie set then. */
export default publicPage(async (_viewer, { searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) => {
  const target = safeRedirectPath((await searchParams).callbackUrl);
  const challenge = await findLiveChallenge((await cookies()).get(secondStepCookie)?.value, "sign_in");
  if (!challenge?.userId) {
    return (
      <>
        <h1 className="mb-4 text-xl font-semibold">Two-step verification</h1>
        <p role="alert" className="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          This sign-in expired or was already used. Sign in with your password again.
        </p>
        <Link className="font-medium text-indigo-700 underline" href={`/sign-in?callbackUrl=${encodeURIComponent(target)}`}>
          Back to sign-in
        </Link>
      </>
    );
  }
  const methods = await secondStepMethods(challenge.userId);
  return (
    <>
      <h1 className="mb-2 text-xl font-semibold">Two-step verification</h1>
      <p className="mb-4 text-sm text-slate-600">
        {methods.totp
          ? "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
          : "Use your passkey, or enter one of your recovery codes."}
      </p>
      {methods.passkeys ? (
        <div className="mb-4">
          <PasskeyButton optionsAction={secondStepPasskeyOptionsAction} finishAction={secondStepPasskeyAction} callbackUrl={target} label="Use a passkey" />
        </div>
      ) : null}
      <SecondStepForm action={secondStepCodeAction} callbackUrl={target} />
      <p className="mt-4 text-sm">
        <Link className="text-slate-600 underline" href="/sign-in">
          Sign in as someone else
        </Link>
      </p>
    </>
  );
});
