import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { z } from "zod";
import { formatDateTime } from "@/lib/format/dates";
import { findOutboxMessage } from "@/lib/mail/send-mail";
import { userPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Development outbox" };

// The links of a message, as anchors a developer can follow (the HTML version renders sandboxed).
const linkPattern = /https?:\/\/[^\s<>"]+/g;

export default userPage(async (_user, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const parsed = z.uuid().safeParse(id);
  const message = parsed.success ? await findOutboxMessage(parsed.data) : null;
  if (!message) notFound();
  const links = [...new Set(message.text.match(linkPattern) ?? [])];
  return (
    <article>
      <h1 className="mb-1 text-xl font-semibold">{message.subject}</h1>
      <p className="mb-4 text-sm text-slate-600">
        to {message.recipient} · {formatDateTime(message.createdAt)} UTC
      </p>
      <h2 className="mb-1 text-sm font-semibold">Links</h2>
      <ul className="mb-4 text-sm" data-testid="outbox-links">
        {links.map((link) => (
          <li key={link}>
            <a className="break-all text-indigo-700 underline" href={link}>
              {link}
            </a>
          </li>
        ))}
      </ul>
      <h2 className="mb-1 text-sm font-semibold">HTML</h2>
      {/* No scripts, no same-origin access: a message is shown, never run. */}
      <iframe title="HTML version" sandbox="" srcDoc={message.html} className="mb-4 h-80 w-full rounded border border-slate-200 bg-white" />
      <h2 className="mb-1 text-sm font-semibold">Plain text</h2>
      <pre className="whitespace-pre-wrap rounded border border-slate-200 bg-white p-3 text-sm">{message.text}</pre>
    </article>
  );
});
