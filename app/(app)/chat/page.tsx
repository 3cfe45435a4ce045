import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui/empty-state";
import { requirePageTenant } from "@/lib/auth/page-guard";

export const metadata: Metadata = { title: "Chat" };

export default async function ChatPage() {
  await requirePageTenant();
  return (
    <>
      <PageHeader title="Chat" description="Ask questions; answers stream in, grounded in your workspace's documents." />
      <EmptyState title="No conversations yet">Chat arrives with the AI gateway. Your workspace is ready for it.</EmptyState>
    </>
  );
}
