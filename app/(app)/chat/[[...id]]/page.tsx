// Chat: the person's conversations beside one of them, or beside a new one (/chat), which exists
// only once its first question is asked. One page for both, so the view a first question starts
// carries on when the address becomes the new conversation's.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ChatPane } from "@/components/chat/chat-pane";
import { ConversationSidebar } from "@/components/chat/conversation-sidebar";
import { ActionForm } from "@/components/ui/action-form";
import { getQuotaStatus } from "@/lib/ai/ai-settings";
import { getConversation, listConversations } from "@/lib/chat/conversations";
import { toUIMessage } from "@/lib/chat/stored-messages";
import { listCollections } from "@/lib/documents/collections";
import { isKeelError } from "@/lib/errors";
import { formatLongDate } from "@/lib/format/dates";
import {
  askAction,
  correctAnswerAction,
  deleteConversationAction,
  followAnswerAction,
  rateAnswerAction,
  renameConversationAction,
  setGroundingAction,
  stopAnswerAction,
} from "../actions";
import { tenantPage } from "@/lib/http/guarded-page";

export const metadata: Metadata = { title: "Chat" };
export const dynamic = "force-dynamic";

/** The quota banner: a warning past the soft line, a refusal notice at the hard limit. */
function quotaBanner(quota: Awaited<ReturnType<typeof getQuotaStatus>>): { level: "soft" | "hard"; text: string } | null {
  const shares = [
    quota.tokenLimit ? (quota.usedTokens + quota.reservedTokens) / quota.tokenLimit : 0,
    quota.microUsdLimit ? quota.usedMicroUsd / quota.microUsdLimit : 0,
  ];
  const share = Math.max(...shares);
  const resets = formatLongDate(quota.resetsAt);
  if (share >= 1)
    return { level: "hard", text: `Your workspace has used its AI quota for this month. New answers are refused until it resets on ${resets} (UTC).` };
  if (share * 100 >= quota.softLimitPercent)
    return { level: "soft", text: `Your workspace has used ${Math.floor(share * 100)}% of this month's AI quota. It resets on ${resets} (UTC).` };
  return null;
}

export default tenantPage(
  { role: "member" },
  async (
    ctx,
    {
      params,
      searchParams,
    }: {
      params: Promise<{ id?: string[] }>;
      searchParams: Promise<Record<string, string | string[] | undefined>>;
    },
  ) => {
    const { id: segments = [] } = await params;
    if (segments.length > 1) notFound();
    const id = segments[0] ?? null;
    const q = (await searchParams).q;
    const search = typeof q === "string" ? q.slice(0, 120) : "";
    const found = id
      ? await getConversation(ctx, id).catch((error: unknown) => {
          if (isKeelError(error) && error.code === "not_found") return null;
          throw error;
        })
      : null;
    if (id && !found) notFound();
    const conversation = found?.conversation ?? null;
    const [conversations, collections, quota] = await Promise.all([listConversations(ctx, { search }), listCollections(ctx), getQuotaStatus(ctx)]);
    const banner = quotaBanner(quota);
    const title = conversation?.title ?? "New conversation";
    return (
      <div className="flex flex-col gap-6 md:flex-row">
        <ConversationSidebar conversations={conversations} activeId={conversation?.id ?? null} search={search} />
        <section className="flex min-h-[70vh] min-w-0 flex-1 flex-col gap-3" aria-label={title}>
          <header className="flex flex-wrap items-center justify-between gap-2">
            <h1 className="min-w-0 text-lg font-semibold break-words" data-testid="conversation-title">
              {title}
            </h1>
            {conversation ? (
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
            ) : null}
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
          <ChatPane
            conversation={conversation ? { id: conversation.id, collectionIds: conversation.collectionIds, titled: conversation.titled } : null}
            collections={collections.map((c) => ({ id: c.id, name: c.name }))}
            initialMessages={found?.messages.map(toUIMessage) ?? []}
            actions={{
              ask: askAction,
              follow: followAnswerAction,
              stop: stopAnswerAction,
              rate: rateAnswerAction,
              correct: correctAnswerAction,
              setGrounding: setGroundingAction,
            }}
          />
        </section>
      </div>
    );
  },
);
