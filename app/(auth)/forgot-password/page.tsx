import Link from "next/link";
import type { Metadata } from "next";
import { AccountForm } from "@/components/auth/account-form";
import { forgotPasswordAction } from "../actions";
import { publicPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Forgot password" };

export default publicPage(async () => {
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Forgot your password?</h1>
      <p className="mb-4 text-sm text-slate-600">Enter your account&apos;s email address: we send a link to choose a new one.</p>
      <AccountForm
        action={forgotPasswordAction}
        fields={[{ name: "email", label: "Email", type: "email", autoComplete: "email" }]}
        submitLabel="Send the link"
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
