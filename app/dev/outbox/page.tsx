import Link from "next/link";
import type { Metadata } from "next";
import { formatDateTime } from "@/lib/format/dates";
import { listOutbox } from "@/lib/mail/send-mail";
import { userPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Development outbox" };
export const dynamic = "force-dynamic";

export default userPage(async () => {
  const messages = await listOutbox();
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold">Outbox</h1>
      {messages.length === 0 ? (
        <p className="text-sm text-slate-600">No mail yet.</p>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" data-testid="outbox-list">
          {messages.map((message) => (
            <li key={message.id} className="p-3 text-sm">
              <Link className="font-medium text-indigo-700 underline" href={`/dev/outbox/${message.id}`}>
                {message.subject}
              </Link>
              <p className="text-xs text-slate-500">
                to {message.recipient} · {formatDateTime(message.createdAt)} UTC
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
});
