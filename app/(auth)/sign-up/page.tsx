import Link from "next/link";
import type { Metadata } from "next";
import { SignUpForm } from "@/components/auth/sign-up-form";
import { signUpAction } from "../actions";
import { publicPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Create an account" };

export default publicPage(async () => {
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold">Create your account</h1>
      <p className="mb-4 text-sm text-slate-600">You get your own workspace; invite your team from it.</p>
      <SignUpForm action={signUpAction} askWorkspace />
      <p className="mt-6 text-sm text-slate-600">
        Already have an account?{" "}
        <Link className="font-medium text-indigo-700 underline" href="/sign-in">
          Sign in
        </Link>
      </p>
    </>
  );
});
