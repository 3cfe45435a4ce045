import Link from "next/link";
import type { Metadata } from "next";
import { AccountForm } from "@/components/auth/account-form";
import { resendVerificationAction } from "../actions";
import { publicPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Confirm your email" };

export default publicPage(async (_viewer, { searchParams }: { searchParams: Promise<{ sent?: string }> }) => {
  const { sent } = await searchParams;
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Confirm your email</h1>
      {sent === "1" ? (
        <p role="status" className="mb-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          Your account is ready. We sent you a link: follow it to confirm your address, then sign in.
        </p>
      ) : sent === "0" ? (
        <p role="alert" className="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          Your account is ready, but the confirmation email could not be sent. Ask for it again below.
        </p>
      ) : null}
      <p className="mb-4 text-sm text-slate-600">No email? Check your spam folder, or ask for a new link.</p>
      <AccountForm
        action={resendVerificationAction}
        fields={[{ name: "email", label: "Email", type: "email", autoComplete: "email" }]}
        submitLabel="Send a new link"
        pendingLabel="Sending…"
        hideOnSuccess
      />
      <p className="mt-6 text-sm text-slate-600">
        <Link className="font-medium text-indigo-700 underline" href="/sign-in">
          Back to sign-in
        </Link>
      </p>
    </>
  );
});
