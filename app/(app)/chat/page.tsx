import type { Metadata } from "next";
import { ConversationSidebar } from "@/components/chat/conversation-sidebar";
import { EmptyState, PageHeader } from "@/components/ui/empty-state";
import { requirePageTenant } from "@/lib/auth/page-guard";
import { listConversations } from "@/lib/chat/conversations";
import { newConversationAction } from "./actions";

export const metadata: Metadata = { title: "Chat" };
export const dynamic = "force-dynamic";

export default async function ChatPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await requirePageTenant();
  const q = (await searchParams).q;
  const search = typeof q === "string" ? q.slice(0, 120) : "";
  const conversations = await listConversations(ctx, { search });
  return (
    <>
      <PageHeader title="Chat" description="Ask questions; answers stream in, grounded in your workspace's documents, with numbered citations." />
      <div className="flex flex-col gap-6 md:flex-row">
        <ConversationSidebar conversations={conversations} activeId={null} search={search} newConversation={newConversationAction} />
        <div className="flex-1">
          <EmptyState title={conversations.length === 0 ? "No conversations yet" : "Pick a conversation"}>
            Start a new conversation to ask about your documents. Answers cite the passages they use, and you can choose which collections they draw on.
          </EmptyState>
        </div>
      </div>
    </>
  );
}
