import Link from "next/link";
import type { Metadata } from "next";
import { SignInForm } from "@/components/auth/sign-in-form";
import { safeRedirectPath } from "@/lib/http/safe-redirect";
import { signInAction } from "../actions";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  const { callbackUrl } = await searchParams;
  const target = safeRedirectPath(callbackUrl);
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold">Sign in</h1>
      <SignInForm action={signInAction} callbackUrl={target} />
      <p className="mt-6 text-sm text-slate-600">
        New to Keel?{" "}
        <Link className="font-medium text-indigo-700 underline" href="/sign-up">
          Create an account
        </Link>
      </p>
    </>
  );
}
