"use client";
// The conversation pane: what answers are grounded in, and the chat itself. A new conversation is
// only a draft here until its first question creates it on the server; the page then moves to the
// conversation's own address (so a reload mid-answer finds it, and the list shows it). The page
// mounts again for the new address, and its view picks up the same chat (chat-sessions.tsx).
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
      // A soft navigation to the conversation's own address (the router's own way: patching its
      // address with history.replaceState and refreshing made it reload the page now and then).
      router.replace(`/chat/${id}`, { scroll: false });
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
