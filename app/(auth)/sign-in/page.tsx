import Link from "next/link";
import type { Metadata } from "next";
import { PasskeyButton } from "@/components/auth/passkey-button";
import { SignInForm } from "@/components/auth/sign-in-form";
import { SsoButtons } from "@/components/auth/sso-buttons";
import { configuredSsoProviders } from "@/lib/auth/sso/sso-settings";
import { ssoProblemMessage } from "@/lib/auth/sso/sso-messages";
import { safeRedirectPath } from "@/lib/http/safe-redirect";
import { signInAction } from "../actions";
import { passkeySignInAction, passkeySignInOptionsAction } from "../two-factor/actions";
import { publicPage } from "@/lib/http/guarded-page";
import { startSsoAction } from "../sso-actions";

export const metadata: Metadata = { title: "Sign in" };

/** What the flows that end on this page say when they land here. */
const notices: Record<string, string> = {
  verified: "Your email is confirmed. Sign in to continue.",
  reset: "Your password is changed, and every device was signed out. Sign in with the new one.",
};

export default publicPage(
  async (_viewer, { searchParams }: { searchParams: Promise<{ callbackUrl?: string; verified?: string; reset?: string; sso?: string; error?: string }> }) => {
    const { callbackUrl, sso, error, ...flags } = await searchParams;
    const ssoProblem = ssoProblemMessage(sso, error);
    const target = safeRedirectPath(callbackUrl);
    const notice = flags.verified ? notices.verified : flags.reset ? notices.reset : null;
    return (
      <>
        <h1 className="mb-4 text-xl font-semibold">Sign in</h1>
        {notice ? (
          <p role="status" className="mb-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
            {notice}
          </p>
        ) : null}
        {ssoProblem ? (
          <p role="alert" className="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="sso-problem">
            {ssoProblem}
          </p>
        ) : null}
        <SsoButtons providers={configuredSsoProviders()} action={startSsoAction} callbackUrl={target} />
        <SignInForm action={signInAction} callbackUrl={target} />
        {/* The button does not say "Sign in": specs and people find the password form's button by that name. */}
        <div className="mt-4 border-t border-slate-200 pt-4">
          <p className="mb-2 text-sm text-slate-600">Or sign in with a passkey, nothing to type:</p>
          <PasskeyButton optionsAction={passkeySignInOptionsAction} finishAction={passkeySignInAction} callbackUrl={target} label="Use a passkey" />
        </div>
        <p className="mt-4 flex flex-wrap justify-between gap-2 text-sm">
          <Link className="font-medium text-indigo-700 underline" href="/forgot-password">
            Forgot password?
          </Link>
          <Link className="text-slate-600 underline" href="/verify-email">
            Resend the confirmation email
          </Link>
        </p>
        <p className="mt-6 text-sm text-slate-600">
          New to Keel?{" "}
          <Link className="font-medium text-indigo-700 underline" href="/sign-up">
            Create an account
          </Link>
        </p>
      </>
    );
  },
);
