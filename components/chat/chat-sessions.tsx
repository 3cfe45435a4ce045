"use client";
// Chats outlive the views that show them. Next.js mounts the chat page afresh whenever its address
// changes (a new conversation getting its own address after the first question, a refresh of the
// list, a visit to another conversation and back), so the AI SDK `Chat` of each conversation (its
// messages and the answer streaming into it), the composer's draft and the Stop request live here,
// in the chat section's layout, and a view that mounts again picks them up where they were: no
// message leaves the screen, no stream is dropped or fetched again, nothing typed is lost.
import { Chat } from "@ai-sdk/react";
import { createContext, useContext, useState, type ReactNode } from "react";
import { answerStateOf, answerStateSchema, messageMetadataSchema, type KeelUIMessage } from "@/lib/chat/ui-message";
import { ActionChatTransport, AskRefusedError, type ChatActions } from "./action-transport";

/** What a mounted view hears from its chat (the chat itself runs whether a view is there or not). */
export interface ChatSessionView {
  finished(outcome: { isError: boolean }): void;
  refused(error: AskRefusedError): void;
  failed(message: string): void;
  conversationCreated(conversationId: string): void;
}

/** Finished conversations kept in memory besides those streaming (reopened from the server anyway). */
const KEPT_IDLE = 12;

/** The answer still being written in these messages, if any (its stream is followed on open). */
function streamingAnswerOf(messages: KeelUIMessage[]): string | null {
  const last = messages.at(-1);
  return last?.role === "assistant" && answerStateOf(last)?.status === "streaming" ? last.id : null;
}

interface SessionInit {
  conversationId: string | null;
  grounding: string[] | null;
  messages: KeelUIMessage[];
  actions: ChatActions;
  /** The conversation its first question created is reachable by its id from then on. */
  onCreated(conversationId: string, session: ChatSession): void;
}

class ChatSession {
  readonly chat: Chat<KeelUIMessage>;
  readonly transport: ActionChatTransport;
  /** What the composer holds, and whether it had the focus. */
  draft = "";
  composerFocused = false;
  /** The messages before the request in flight: put back if the server refuses it. */
  private beforeRequest: KeelUIMessage[] = [];
  private view: ChatSessionView | null = null;

  constructor(init: SessionInit) {
    this.transport = new ActionChatTransport({
      actions: init.actions,
      conversationId: init.conversationId,
      grounding: init.grounding,
      answerToFollow: streamingAnswerOf(init.messages),
      onConversationCreated: (conversationId) => {
        init.onCreated(conversationId, this);
        this.view?.conversationCreated(conversationId);
      },
      onStopFailed: (message) => this.view?.failed(message),
    });
    this.chat = new Chat<KeelUIMessage>({
      messages: init.messages,
      transport: this.transport,
      dataPartSchemas: { answer: answerStateSchema },
      messageMetadataSchema,
      onFinish: ({ isError }) => this.view?.finished({ isError }),
      onError: (error) => {
        if (error instanceof AskRefusedError) {
          // Nothing was stored: the conversation goes back to what it was.
          this.chat.messages = this.beforeRequest;
          this.view?.refused(error);
        } else {
          this.view?.failed("The connection to the answer was lost. Reload the page to see it.");
        }
      },
    });
  }

  get busy(): boolean {
    return this.chat.status === "submitted" || this.chat.status === "streaming";
  }

  get attached(): boolean {
    return this.view !== null;
  }

  /** Shows this session in a view; returns the detach. */
  attach(view: ChatSessionView): () => void {
    this.view = view;
    return () => {
      if (this.view === view) this.view = null;
    };
  }

  /** Called before each request, with the messages to go back to if it is refused. */
  requesting(messages: KeelUIMessage[]): void {
    this.beforeRequest = messages;
  }

  keepDraft(draft: string, focused?: boolean): void {
    this.draft = draft;
    if (focused !== undefined) this.composerFocused = focused;
  }

  /**
   * A view shows the server's messages of the conversation: a session at rest takes them (they may
   * have changed in another tab); one still answering keeps its own, which are newer.
   */
  refresh(messages: KeelUIMessage[]): void {
    if (this.busy) return;
    // A copy rendered while an answer was streaming, of an answer this session has seen end: ours is newer.
    const streaming = streamingAnswerOf(messages);
    const ours = streaming ? this.chat.messages.find((m) => m.id === streaming) : undefined;
    if (ours && answerStateOf(ours)?.status !== "streaming") return;
    this.chat.messages = messages;
    this.transport.follow(streaming);
  }
}

class ChatSessions {
  private readonly sessions = new Map<string, ChatSession>();

  /** The session of a conversation (its id) or of a draft (a key of its own), made on first use. */
  open(key: string, init: Omit<SessionInit, "onCreated">): ChatSession {
    const existing = this.sessions.get(key);
    if (existing) {
      // Most recently used last.
      this.sessions.delete(key);
      this.sessions.set(key, existing);
      return existing;
    }
    const session = new ChatSession({ ...init, onCreated: (conversationId, created) => this.sessions.set(conversationId, created) });
    this.sessions.set(key, session);
    this.forgetIdle();
    return session;
  }

  private forgetIdle() {
    const idle = [...this.sessions.entries()].filter(([, s]) => !s.busy && !s.attached);
    for (const [key] of idle.slice(0, Math.max(0, idle.length - KEPT_IDLE))) this.sessions.delete(key);
  }
}

const SessionsContext = createContext<ChatSessions | null>(null);

export function ChatSessionsProvider({ children }: { children: ReactNode }) {
  const [sessions] = useState(() => new ChatSessions());
  return <SessionsContext.Provider value={sessions}>{children}</SessionsContext.Provider>;
}

export function useChatSessions(): ChatSessions {
  const sessions = useContext(SessionsContext);
  if (!sessions) throw new Error("useChatSessions must be used inside ChatSessionsProvider (app/(app)/chat/layout.tsx)");
  return sessions;
}
