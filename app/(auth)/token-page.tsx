// The pages behind emailed links check the link before showing their form; a dead link says why.
import Link from "next/link";
import type { ReactNode } from "react";
import { isKeelError } from "@/lib/errors";

/** Runs the check; a refusal (invalid, used, expired) becomes its message. */
export async function checkLink<T>(check: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
  try {
    return { ok: true, value: await check() };
  } catch (error) {
    if (isKeelError(error)) return { ok: false, message: error.message };
    throw error;
  }
}

export function DeadLink({ title, message, retry }: { title: string; message: string; retry: { href: string; label: string } }): ReactNode {
  return (
    <>
      <h1 className="mb-2 text-xl font-semibold">{title}</h1>
      <p role="alert" className="mb-4 text-sm text-slate-700">
        {message}
      </p>
      <Link className="text-sm font-medium text-indigo-700 underline" href={retry.href}>
        {retry.label}
      </Link>
    </>
  );
}
