// useChat's transport for Keel: instead of fetching an API route, it calls the chat's server
// actions, which return the answer's UI message stream. Sending asks (a new question, the last one
// again, or the last one edited); reconnecting follows an answer still being written when the page
// loaded (after a reload, or in a second tab). Stopping is Keel's own: the answer belongs to the
// server, so Stop asks the server to stop writing it, and the stream the page is reading ends with
// the stored outcome ("stopped") like any other answer. (useChat's own stop() only stops this tab
// from reading, which is what leaving the page does; it must never stop the answer.)
import type { ChatTransport, UIMessageChunk } from "ai";
import { textOf, type AskMode, type KeelUIMessage, type StreamedAnswer } from "@/lib/chat/ui-message";

export interface ChatActions {
  ask(conversationId: string | null, mode: AskMode, newConversation?: { collectionIds: string[] | null }): Promise<StreamedAnswer>;
  follow(answerId: string): Promise<StreamedAnswer>;
  stop(answerId: string): Promise<{ ok: boolean; message?: string }>;
}

export interface ActionTransportOptions {
  actions: ChatActions;
  /** The conversation questions go to; null until the first question creates it. */
  conversationId: string | null;
  /** What a conversation created by its first question is grounded in (null: every collection). */
  grounding: string[] | null;
  /** The answer being written when the page loaded, if any: reconnecting follows it (once). */
  answerToFollow: string | null;
  onConversationCreated(conversationId: string): void;
  onStopFailed(message: string): void;
}

/** The ask action refused (nothing was stored): the page puts things back as they were. */
export class AskRefusedError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly mode: AskMode,
  ) {
    super(message);
    this.name = "AskRefusedError";
  }
}

export class ActionChatTransport implements ChatTransport<KeelUIMessage> {
  /** The answer this view is reading, once the action has named it. */
  private answerId: string | null = null;
  /** Stop was pressed before the answer had an id (while the question was on its way). */
  private stopWanted = false;

  private conversationId: string | null;
  private grounding: string[] | null;
  private answerToFollow: string | null;

  constructor(private readonly options: ActionTransportOptions) {
    this.conversationId = options.conversationId;
    this.grounding = options.grounding;
    this.answerToFollow = options.answerToFollow;
  }

  /** Reconnecting follows this answer (null: nothing is being written). */
  follow(answerId: string | null): void {
    this.answerToFollow = answerId;
  }

  /** Whether Stop was pressed for the answer being read. */
  get stopping(): boolean {
    return this.stopWanted;
  }

  /** Keeps up with the page: the conversation once it exists, and what a new one is grounded in. */
  keepUp(page: { conversationId: string | null; grounding: string[] | null }): void {
    this.conversationId ??= page.conversationId;
    this.grounding = page.grounding;
  }

  async sendMessages({ trigger, messageId, messages }: Parameters<ChatTransport<KeelUIMessage>["sendMessages"]>[0]): Promise<ReadableStream<UIMessageChunk>> {
    const mode = askModeFor(trigger, messageId, messages);
    const conversationId = this.conversationId;
    this.begin();
    const result = await this.options.actions.ask(conversationId, mode, conversationId ? undefined : { collectionIds: this.grounding });
    if (!result.ok) throw new AskRefusedError(result.message, result.code, mode);
    if (!conversationId) {
      this.conversationId = result.conversationId;
      this.options.onConversationCreated(result.conversationId);
    }
    return this.reading(result.answerId, result.stream);
  }

  async reconnectToStream(): Promise<ReadableStream<UIMessageChunk> | null> {
    // Once: a later reconnect (the tab coming back) would find the answer finished or settled anyway.
    const answerId = this.answerToFollow;
    this.answerToFollow = null;
    if (!answerId) return null;
    this.begin();
    const result = await this.options.actions.follow(answerId);
    if (!result.ok) throw new Error(result.message);
    return this.reading(result.answerId, result.stream);
  }

  /** Keel's Stop: at any moment, even before the question has reached the server. */
  stop(): void {
    this.stopWanted = true;
    if (this.answerId) this.sendStop(this.answerId);
  }

  private begin() {
    this.answerId = null;
    this.stopWanted = false;
  }

  private reading(answerId: string, stream: ReadableStream<UIMessageChunk>): ReadableStream<UIMessageChunk> {
    this.answerId = answerId;
    if (this.stopWanted) this.sendStop(answerId);
    return stream;
  }

  private sendStop(answerId: string) {
    void this.options.actions.stop(answerId).then(
      (result) => (result.ok ? undefined : this.options.onStopFailed(result.message ?? "Could not stop the answer.")),
      () => this.options.onStopFailed("Could not stop the answer: the server did not answer."),
    );
  }
}

/** What useChat's request means in Keel's terms. The server keeps the history: only the question travels. */
function askModeFor(trigger: "submit-message" | "regenerate-message", messageId: string | undefined, messages: KeelUIMessage[]): AskMode {
  if (trigger === "regenerate-message") return { kind: "regenerate" };
  const question = messages.findLast((m) => m.role === "user");
  const text = question ? textOf(question) : "";
  return messageId ? { kind: "edit", question: text } : { kind: "ask", question: text };
}
