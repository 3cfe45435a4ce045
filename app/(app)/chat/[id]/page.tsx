import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ChatView, type ViewMessage } from "@/components/chat/chat-view";
import { ConversationSidebar } from "@/components/chat/conversation-sidebar";
import { GroundingPicker } from "@/components/chat/grounding-picker";
import { ActionForm } from "@/components/ui/action-form";
import { getQuotaStatus } from "@/lib/ai/ai-settings";
import { requirePageTenant } from "@/lib/auth/page-guard";
import { getConversation, listConversations } from "@/lib/chat/conversations";
import { listCollections } from "@/lib/documents/collections";
import { isKeelError } from "@/lib/errors";
import {
  askAction,
  correctAnswerAction,
  deleteConversationAction,
  followAnswerAction,
  newConversationAction,
  rateAnswerAction,
  renameConversationAction,
  setGroundingAction,
  stopAnswerAction,
} from "../actions";

export const metadata: Metadata = { title: "Chat" };
export const dynamic = "force-dynamic";

const resetDate = new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" });

/** The quota banner: a warning past the soft line, a refusal notice at the hard limit. */
function quotaBanner(quota: Awaited<ReturnType<typeof getQuotaStatus>>): { level: "soft" | "hard"; text: string } | null {
  const shares = [
    quota.tokenLimit ? (quota.usedTokens + quota.reservedTokens) / quota.tokenLimit : 0,
    quota.microUsdLimit ? quota.usedMicroUsd / quota.microUsdLimit : 0,
  ];
  const share = Math.max(...shares);
  const resets = resetDate.format(new Date(quota.resetsAt));
  if (share >= 1)
    return { level: "hard", text: `Your workspace has used its AI quota for this month. New answers are refused until it resets on ${resets} (UTC).` };
  if (share * 100 >= quota.softLimitPercent)
    return { level: "soft", text: `Your workspace has used ${Math.floor(share * 100)}% of this month's AI quota. It resets on ${resets} (UTC).` };
  return null;
}

export default async function ConversationPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const ctx = await requirePageTenant();
  const { id } = await params;
  const q = (await searchParams).q;
  const search = typeof q === "string" ? q.slice(0, 120) : "";
  const found = await getConversation(ctx, id).catch((error: unknown) => {
    if (isKeelError(error) && error.code === "not_found") return null;
    throw error;
  });
  if (!found) notFound();
  const { conversation, messages } = found;
  const [conversations, collections, quota] = await Promise.all([listConversations(ctx, { search }), listCollections(ctx), getQuotaStatus(ctx)]);
  const banner = quotaBanner(quota);
  const viewMessages: ViewMessage[] = messages.map((m) => ({
    id: m.id,
    role: m.role,
    content: m.content,
    status: m.status,
    error: m.error,
    errorCode: m.errorCode,
    citations: m.citations,
    details: m.details,
    rating: m.rating,
    correction: m.correction,
  }));
  return (
    <div className="flex flex-col gap-6 md:flex-row">
      <ConversationSidebar conversations={conversations} activeId={conversation.id} search={search} newConversation={newConversationAction} />
      <section className="flex min-h-[70vh] flex-1 flex-col gap-3" aria-label={conversation.title}>
        <header className="flex flex-wrap items-center justify-between gap-2">
          <h1 className="truncate text-lg font-semibold" data-testid="conversation-title">
            {conversation.title}
          </h1>
          <details className="text-sm">
            <summary className="cursor-pointer text-indigo-700">Rename or delete</summary>
            <div className="mt-2 flex flex-col gap-2">
              <ActionForm
                action={renameConversationAction}
                hidden={{ conversationId: conversation.id }}
                submitLabel="Rename"
                pendingLabel="Saving…"
                label="Rename conversation"
              >
                <input
                  name="title"
                  defaultValue={conversation.title}
                  maxLength={120}
                  required
                  aria-label="Title"
                  className="rounded-md border border-slate-300 px-2 py-1"
                />
              </ActionForm>
              <ActionForm
                action={deleteConversationAction}
                hidden={{ conversationId: conversation.id }}
                submitLabel="Delete conversation"
                pendingLabel="Deleting…"
                variant="danger"
                confirmMessage="Delete this conversation and all its messages?"
                label="Delete conversation"
              />
            </div>
          </details>
        </header>
        {banner ? (
          <p
            role={banner.level === "hard" ? "alert" : "status"}
            data-testid={`quota-${banner.level}`}
            className={`rounded-md px-3 py-2 text-sm ${banner.level === "hard" ? "bg-red-50 text-red-800" : "bg-amber-50 text-amber-900"}`}
          >
            {banner.text}
          </p>
        ) : null}
        <GroundingPicker
          conversationId={conversation.id}
          collections={collections.map((c) => ({ id: c.id, name: c.name }))}
          selected={conversation.collectionIds}
          action={setGroundingAction}
        />
        <ChatView
          key={conversation.id}
          conversationId={conversation.id}
          initialMessages={viewMessages}
          actions={{ ask: askAction, follow: followAnswerAction, stop: stopAnswerAction, rate: rateAnswerAction, correct: correctAnswerAction }}
        />
      </section>
    </div>
  );
}
