"use client";
// The conversation pane: what answers are grounded in, and the chat itself. A new conversation is
// only a draft here until its first question creates it on the server; the address then becomes
// the conversation's own (so a reload mid-answer finds it) and the page's data is refreshed. The
// page mounts again for the new address, and its view picks up the same chat (chat-sessions.tsx).
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";
import type { KeelUIMessage } from "@/lib/chat/ui-message";
import { ChatView, type ChatViewActions } from "./chat-view";
import { GroundingPicker } from "./grounding-picker";

type SetGrounding = Parameters<typeof GroundingPicker>[0]["action"];

export function ChatPane(props: {
  conversation: { id: string; collectionIds: string[] | null; titled: boolean } | null;
  collections: { id: string; name: string }[];
  initialMessages: KeelUIMessage[];
  actions: ChatViewActions & { setGrounding: SetGrounding };
}) {
  const router = useRouter();
  // A new conversation's chat has a key of its own until its first question gives it an id.
  const [draftKey] = useState(() => `draft-${crypto.randomUUID()}`);
  const [created, setCreated] = useState<string | null>(null);
  const [grounding, setGrounding] = useState<string[] | null>(props.conversation?.collectionIds ?? null);
  const onConversationCreated = useCallback(
    (id: string) => {
      setCreated(id);
      window.history.replaceState(null, "", `/chat/${id}`);
      router.refresh();
    },
    [router],
  );
  return (
    <>
      <GroundingPicker
        conversationId={props.conversation?.id ?? created}
        collections={props.collections}
        selected={grounding}
        action={props.actions.setGrounding}
        onChange={setGrounding}
      />
      <ChatView
        sessionKey={props.conversation?.id ?? draftKey}
        conversationId={props.conversation?.id ?? null}
        titled={props.conversation?.titled ?? false}
        initialMessages={props.initialMessages}
        grounding={grounding}
        onConversationCreated={onConversationCreated}
        actions={props.actions}
      />
    </>
  );
}
