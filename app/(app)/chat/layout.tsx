// The chat section: its conversations' chats (messages, a streaming answer, the draft) are kept
// here, above the page, which Next.js mounts afresh whenever the address changes.
import type { ReactNode } from "react";
import { ChatSessionsProvider } from "@/components/chat/chat-sessions";

export default function ChatLayout({ children }: { children: ReactNode }) {
  return <ChatSessionsProvider>{children}</ChatSessionsProvider>;
}
