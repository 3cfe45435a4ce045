"use client";
// What a person sees when a page (or a background refresh of it) fails on the server: most often
// the database out of reach for a moment. Next.js hides the cause in production (only a digest
// reaches the browser), so this says what is likely and offers to load the page again, rather
// than Next's bare "This page couldn't load".
import { useRouter } from "next/navigation";
import { startTransition } from "react";

export default function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  const retry = () =>
    startTransition(() => {
      router.refresh();
      reset();
    });
  return (
    <main className="mx-auto flex min-h-dvh max-w-md flex-col justify-center gap-3 p-6">
      <div role="alert" data-testid="page-error" className="flex flex-col gap-3">
        <h1 className="text-xl font-semibold">Keel could not load this page just now</h1>
        <p className="text-sm text-neutral-700">Its database may be out of reach for a moment. What you already saved is kept; try again in a moment.</p>
        {error.digest ? <p className="font-mono text-xs text-neutral-500">Reference {error.digest}</p> : null}
        <div>
          <button type="button" onClick={retry} className="rounded bg-neutral-900 px-3 py-1.5 text-sm text-white">
            Try again
          </button>
        </div>
      </div>
    </main>
  );
}
