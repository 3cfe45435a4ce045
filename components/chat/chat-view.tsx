"use client";
// One conversation: its messages, the answer streaming in, and the composer. The messages live in
// the AI SDK's chat state (useChat over the conversation's `Chat`, kept in chat-sessions.tsx so it
// outlives this view), which reads each answer's UI message stream through Keel's action
// transport; the server's copy seeds it and is never swapped in under a streaming answer, so
// nothing on screen blinks between sending and the answer settling. After a reload (or in another
// tab) an answer still being written is picked up and followed. Enter sends, Shift+Enter adds a
// line; the view follows new text unless the reader has scrolled up.
import { useChat } from "@ai-sdk/react";
import { Pencil, RefreshCw, Send, Square } from "lucide-react";
import { useRouter } from "next/navigation";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import type { ActionState } from "@/lib/http/action-state";
import { answerStateOf, citationsOf, textOf, type AskMode, type KeelUIMessage } from "@/lib/chat/ui-message";
import type { ChatActions } from "./action-transport";
import { AnswerFooter, type RateAction } from "./answer-footer";
import { useChatSessions, type ChatSessionView } from "./chat-sessions";
import { AnswerMarkdown } from "./markdown";

export interface ChatViewActions extends ChatActions {
  rate: RateAction;
  correct(state: ActionState, formData: FormData): Promise<ActionState>;
}

/** After the first answer, the model names the conversation: the list is refreshed to show it. */
const TITLE_REFRESHES_MS = [2_000, 6_000];

export function ChatView(props: {
  /** The conversation's id, or a key of its own for a new conversation not created yet. */
  sessionKey: string;
  /** null: a new conversation, created by its first question. */
  conversationId: string | null;
  titled: boolean;
  initialMessages: KeelUIMessage[];
  /** What a new conversation's answers are grounded in (null: every collection; []: none). */
  grounding: string[] | null;
  onConversationCreated(conversationId: string): void;
  actions: ChatViewActions;
}) {
  const router = useRouter();
  const sessions = useChatSessions();
  const [session] = useState(() =>
    sessions.open(props.sessionKey, {
      conversationId: props.conversationId,
      grounding: props.grounding,
      messages: props.initialMessages,
      actions: props.actions,
    }),
  );
  const [draft, setDraft] = useState(session.draft);
  const [problem, setProblem] = useState<{ message: string; retry: AskMode | null } | null>(null);
  const [editing, setEditing] = useState(false);
  const [stopping, setStopping] = useState(session.busy && session.transport.stopping);
  const scroller = useRef<HTMLDivElement>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const pinned = useRef(true);

  const { messages, sendMessage, regenerate, status, clearError } = useChat<KeelUIMessage>({ chat: session.chat, resume: true });
  const busy = status === "submitted" || status === "streaming";

  // The server's copy, for a session at rest; the page's facts for the transport; focus as it was.
  const { initialMessages, conversationId, grounding, titled } = props;
  useLayoutEffect(() => session.refresh(initialMessages), [session, initialMessages]);
  useLayoutEffect(() => session.transport.keepUp({ conversationId, grounding }), [session, conversationId, grounding]);
  useLayoutEffect(() => {
    const box = composer.current;
    if (!box || !session.composerFocused) return;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }, [session]);
  useEffect(() => session.keepDraft(draft), [session, draft]);

  // What this view does when its chat finishes, is refused or fails (the chat goes on without it).
  const onCreated = props.onConversationCreated;
  useEffect(() => {
    const view: ChatSessionView = {
      finished: ({ isError }) => {
        setStopping(false);
        if (isError) return;
        // The list (new conversation, newest first) and the title; the model may name it a moment later.
        router.refresh();
        if (!titled) for (const ms of TITLE_REFRESHES_MS) setTimeout(() => router.refresh(), ms);
      },
      refused: (error) => {
        setStopping(false);
        const { mode } = error;
        if (mode.kind === "ask") setDraft((d) => d || mode.question);
        setProblem({ message: error.message, retry: error.code === "conflict" ? null : mode });
      },
      failed: (message) => {
        setStopping(false);
        setProblem({ message, retry: null });
      },
      conversationCreated: onCreated,
    };
    return session.attach(view);
  }, [session, router, titled, onCreated]);

  const send = (mode: AskMode) => {
    setProblem(null);
    setStopping(false);
    clearError();
    session.requesting(messages);
    pinned.current = true;
    if (mode.kind === "regenerate") return void regenerate();
    const lastUser = messages.findLast((m) => m.role === "user");
    if (mode.kind === "edit" && lastUser) return void sendMessage({ text: mode.question, messageId: lastUser.id });
    void sendMessage({ text: mode.question });
  };

  const submit = () => {
    const question = draft.trim();
    if (!question || busy) return;
    setDraft("");
    send({ kind: "ask", question });
  };

  const stop = () => {
    setStopping(true);
    session.transport.stop();
  };

  // Follow new text while the reader is at the bottom; leave them be once they scroll up.
  useLayoutEffect(() => {
    const box = scroller.current;
    if (box && pinned.current) box.scrollTop = box.scrollHeight;
  }, [messages, status]);

  const lastUser = messages.findLast((m) => m.role === "user");
  const last = messages.at(-1);
  // Between sending and the answer's first chunk there is no answer message yet: a placeholder.
  const waiting = status === "submitted" && last?.role === "user";
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div
        ref={scroller}
        onScroll={(event) => {
          const box = event.currentTarget;
          pinned.current = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
        }}
        className="flex-1 overflow-y-auto pr-2"
        data-testid="chat-messages"
        aria-live="polite"
      >
        {messages.length === 0 ? (
          <p className="mt-8 text-center text-sm text-slate-500" data-testid="chat-empty">
            Ask a question about your documents, or anything else.
          </p>
        ) : null}
        <ol className="flex flex-col gap-4">
          {messages.map((m) =>
            m.role === "user" ? (
              <li key={m.id} className="self-end rounded-lg bg-indigo-50 px-3 py-2 text-sm whitespace-pre-wrap text-slate-900" data-testid="user-message">
                {editing && m.id === lastUser?.id ? (
                  <EditQuestion
                    initial={textOf(m)}
                    onCancel={() => setEditing(false)}
                    onSave={(question) => {
                      setEditing(false);
                      send({ kind: "edit", question });
                    }}
                  />
                ) : (
                  <>
                    {textOf(m)}
                    {m.id === lastUser?.id && !busy ? (
                      <button
                        type="button"
                        onClick={() => setEditing(true)}
                        className="ml-2 inline-flex items-center gap-0.5 align-middle text-xs text-indigo-700 hover:underline"
                      >
                        <Pencil aria-hidden className="size-3" />
                        Edit
                      </button>
                    ) : null}
                  </>
                )}
              </li>
            ) : (
              <AssistantMessage
                key={m.id}
                message={m}
                isLast={m.id === last?.id}
                busy={busy}
                onRegenerate={() => send({ kind: "regenerate" })}
                actions={props.actions}
              />
            ),
          )}
          {waiting ? (
            <li className="rounded-lg border border-slate-200 bg-white px-3 py-2" data-testid="assistant-message" data-status="streaming">
              <Thinking />
            </li>
          ) : null}
        </ol>
      </div>
      {problem ? (
        <div role="alert" className="mt-2 flex items-center gap-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="chat-problem">
          <span>{problem.message}</span>
          {problem.retry ? (
            <button type="button" onClick={() => send(problem.retry!)} className="rounded border border-red-300 px-2 py-0.5">
              Retry
            </button>
          ) : null}
        </div>
      ) : null}
      <form
        className="mt-3 flex items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <textarea
          ref={composer}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onFocus={() => session.keepDraft(draft, true)}
          onBlur={() => session.keepDraft(draft, false)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
              event.preventDefault();
              submit();
            }
          }}
          rows={Math.min(8, Math.max(2, draft.split("\n").length))}
          maxLength={32_000}
          placeholder="Ask a question (Enter sends, Shift+Enter for a new line)"
          aria-label="Your question"
          className="flex-1 resize-none rounded-md border border-slate-300 p-2 text-sm"
        />
        {busy ? (
          <button
            type="button"
            onClick={stop}
            disabled={stopping}
            className="flex items-center gap-1.5 rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-60"
          >
            <Square aria-hidden className="size-3.5 fill-current" />
            {stopping ? "Stopping…" : "Stop"}
          </button>
        ) : (
          <button
            type="submit"
            disabled={!draft.trim()}
            className="flex items-center gap-1.5 rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
          >
            <Send aria-hidden className="size-3.5" />
            Send
          </button>
        )}
      </form>
    </div>
  );
}

function AssistantMessage({
  message,
  isLast,
  busy,
  onRegenerate,
  actions,
}: {
  message: KeelUIMessage;
  isLast: boolean;
  busy: boolean;
  onRegenerate(): void;
  actions: ChatViewActions;
}) {
  // A message with no state of its own (never from Keel's server) counts as finished.
  const state = answerStateOf(message) ?? { status: "complete" as const };
  const text = textOf(message);
  const citations = citationsOf(message);
  const streaming = state.status === "streaming";
  return (
    <li
      className="rounded-lg border border-slate-200 bg-white px-3 py-2"
      data-testid="assistant-message"
      data-status={state.status}
      data-message-id={message.id}
    >
      {text ? <AnswerMarkdown text={text} citations={citations} streaming={streaming} /> : streaming ? <Thinking /> : null}
      {state.status === "stopped" ? (
        <p className="mt-1 text-xs text-slate-500" data-testid="answer-stopped">
          Stopped.
        </p>
      ) : null}
      {state.status === "failed" ? (
        <div role="alert" className="mt-1 flex flex-wrap items-center gap-2 text-sm text-red-700" data-testid="answer-error" data-code={state.errorCode ?? ""}>
          <span>{state.error ?? "This answer failed."}</span>
          {isLast ? (
            <button type="button" disabled={busy} onClick={onRegenerate} className="rounded border border-red-300 px-2 py-0.5">
              Retry
            </button>
          ) : null}
        </div>
      ) : null}
      {state.status === "complete" || state.status === "stopped" ? (
        <AnswerFooter
          answerId={message.id}
          details={state.details ?? {}}
          citations={citations}
          rating={message.metadata?.rating ?? null}
          correction={message.metadata?.correction ?? null}
          actions={{ rate: actions.rate, correct: actions.correct }}
        />
      ) : null}
      {isLast && !busy && state.status !== "failed" ? (
        <button type="button" onClick={onRegenerate} className="mt-1 inline-flex items-center gap-1 text-xs text-indigo-700 hover:underline">
          <RefreshCw aria-hidden className="size-3" />
          Regenerate
        </button>
      ) : null}
    </li>
  );
}

function Thinking() {
  return (
    <span className="inline-flex items-center gap-2 text-sm text-slate-500" data-testid="thinking">
      <span aria-hidden className="size-2 animate-pulse rounded-full bg-indigo-400" />
      Thinking…
    </span>
  );
}

function EditQuestion({ initial, onSave, onCancel }: { initial: string; onSave(question: string): void; onCancel(): void }) {
  const [text, setText] = useState(initial);
  return (
    <form
      className="flex flex-col gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        if (text.trim()) onSave(text.trim());
      }}
    >
      <textarea
        value={text}
        onChange={(e) => setText(e.target.value)}
        rows={3}
        aria-label="Edit your question"
        className="min-w-72 rounded border border-slate-300 p-1"
      />
      <div className="flex gap-2">
        <button type="submit" className="rounded bg-indigo-600 px-2 py-1 text-xs text-white">
          Save and resend
        </button>
        <button type="button" onClick={onCancel} className="rounded border border-slate-300 px-2 py-1 text-xs">
          Cancel
        </button>
      </div>
    </form>
  );
}
