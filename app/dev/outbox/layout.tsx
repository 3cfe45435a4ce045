import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { requirePageUser } from "@/lib/auth/page-guard";
import { outboxEnabled } from "@/lib/mail/send-mail";

// The development outbox exists only while mail goes to it (no SMTP configured in development):
// on a server that sends real mail it is a 404, to anyone.
export default async function OutboxLayout({ children }: { children: ReactNode }) {
  if (!outboxEnabled()) notFound();
  await requirePageUser();
  return (
    <main className="mx-auto w-full max-w-3xl px-4 py-8">
      <p className="mb-1 text-sm text-slate-500">
        <Link className="underline" href="/dev/outbox">
          Development outbox
        </Link>{" "}
        · mail Keel would have sent; set SMTP_URL to send it for real.
      </p>
      {children}
    </main>
  );
}
