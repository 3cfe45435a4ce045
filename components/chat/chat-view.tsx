"use client";
// One conversation: its messages, the answer streaming in, and the composer. The answer arrives
// through a server action as a stream of text; after a reload (or in another tab) the page picks
// up an answer still being written and follows it the same way. Enter sends, Shift+Enter adds a
// line; the view follows new text unless the reader has scrolled up.
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useLayoutEffect, useRef, useState, useTransition } from "react";
import type { AnswerDetails, Citation } from "@/lib/chat/types";
import type { ActionState } from "@/lib/http/action-state";
import { AnswerFooter } from "./answer-footer";
import { AnswerMarkdown } from "./markdown";

export interface ViewMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  status: "streaming" | "complete" | "stopped" | "failed";
  error: string | null;
  errorCode: string | null;
  citations: Citation[];
  details: AnswerDetails;
  rating: number | null;
  correction: string | null;
}

type AskMode = { kind: "ask"; question: string } | { kind: "regenerate" } | { kind: "edit"; question: string };
type Streamed = { ok: true; answerId: string; text: ReadableStream<string> } | { ok: false; message: string; code?: string };

export interface ChatActions {
  ask(conversationId: string, mode: AskMode): Promise<Streamed>;
  follow(answerId: string): Promise<Streamed>;
  stop(answerId: string): Promise<{ ok: boolean; message?: string }>;
  rate(answerId: string, rating: -1 | 1 | null): Promise<{ ok: boolean; message?: string }>;
  correct(state: ActionState, formData: FormData): Promise<ActionState>;
}

interface Live {
  answerId: string | null;
  text: string;
}

export function ChatView({ conversationId, initialMessages, actions }: { conversationId: string; initialMessages: ViewMessage[]; actions: ChatActions }) {
  const router = useRouter();
  const [draft, setDraft] = useState("");
  const [live, setLive] = useState<Live | null>(null);
  const [pendingQuestion, setPendingQuestion] = useState<string | null>(null);
  const [problem, setProblem] = useState<{ message: string; retry: AskMode | null } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [, startTransition] = useTransition();
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const following = useRef<string | null>(null);

  const messages = initialMessages;
  const streamingId = messages.find((m) => m.role === "assistant" && m.status === "streaming")?.id ?? null;
  const busy = live !== null;

  const read = useCallback(
    async (result: Streamed) => {
      if (!result.ok) {
        setLive(null);
        return false;
      }
      following.current = result.answerId;
      setLive({ answerId: result.answerId, text: "" });
      const reader = result.text.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          setLive((current) => (current && current.answerId === result.answerId ? { ...current, text: current.text + value } : current));
        }
      } catch {
        // The connection dropped: the answer goes on being written on the server; show what is saved.
      } finally {
        following.current = null;
        setLive(null);
        setPendingQuestion(null);
        startTransition(() => router.refresh());
      }
      return true;
    },
    [router],
  );

  // An answer still being written when the page loaded: follow it.
  useEffect(() => {
    if (!streamingId || following.current === streamingId) return;
    following.current = streamingId;
    void actions.follow(streamingId).then(read);
  }, [streamingId, actions, read]);

  const send = async (mode: AskMode) => {
    setProblem(null);
    if (mode.kind !== "regenerate") setPendingQuestion(mode.question);
    setLive({ answerId: null, text: "" });
    pinned.current = true;
    const result = await actions.ask(conversationId, mode);
    if (!result.ok) {
      setLive(null);
      setPendingQuestion(null);
      setProblem({ message: result.message, retry: result.code === "conflict" ? null : mode });
      if (mode.kind === "ask") setDraft((d) => d || mode.question);
      return;
    }
    startTransition(() => router.refresh());
    await read(result);
  };

  const submit = () => {
    const question = draft.trim();
    if (!question || busy) return;
    setDraft("");
    void send({ kind: "ask", question });
  };

  // Follow new text while the reader is at the bottom; leave them be once they scroll up.
  useLayoutEffect(() => {
    const box = scroller.current;
    if (box && pinned.current) box.scrollTop = box.scrollHeight;
  }, [live?.text, messages.length, pendingQuestion]);

  const lastUser = messages.findLast((m) => m.role === "user");
  const last = messages.at(-1);
  const liveAnswerId = live?.answerId ?? streamingId;
  const shown = messages.filter((m) => !(live && m.id === liveAnswerId));
  const showPending = pendingQuestion !== null && !messages.some((m) => m.role === "user" && m.content === pendingQuestion && m === lastUser);

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
        {shown.length === 0 && !live ? <p className="mt-8 text-center text-sm text-slate-500">Ask a question about your documents, or anything else.</p> : null}
        <ol className="flex flex-col gap-4">
          {shown.map((m) =>
            m.role === "user" ? (
              <li key={m.id} className="self-end rounded-lg bg-indigo-50 px-3 py-2 text-sm whitespace-pre-wrap text-slate-900" data-testid="user-message">
                {editing !== null && m.id === lastUser?.id ? (
                  <EditQuestion
                    initial={m.content}
                    onCancel={() => setEditing(null)}
                    onSave={(question) => {
                      setEditing(null);
                      void send({ kind: "edit", question });
                    }}
                  />
                ) : (
                  <>
                    {m.content}
                    {m.id === lastUser?.id && !busy ? (
                      <button type="button" onClick={() => setEditing(m.content)} className="ml-2 text-xs text-indigo-700 hover:underline">
                        Edit
                      </button>
                    ) : null}
                  </>
                )}
              </li>
            ) : (
              <li
                key={m.id}
                className="rounded-lg border border-slate-200 bg-white px-3 py-2"
                data-testid="assistant-message"
                data-status={m.status}
                data-message-id={m.id}
              >
                {m.content ? <AnswerMarkdown text={m.content} citations={m.citations} /> : null}
                {m.status === "stopped" ? <p className="mt-1 text-xs text-slate-500">Stopped.</p> : null}
                {m.status === "failed" ? (
                  <div
                    role="alert"
                    className="mt-1 flex flex-wrap items-center gap-2 text-sm text-red-700"
                    data-testid="answer-error"
                    data-code={m.errorCode ?? ""}
                  >
                    <span>{m.error ?? "This answer failed."}</span>
                    {m.id === last?.id ? (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => void send({ kind: "regenerate" })}
                        className="rounded border border-red-300 px-2 py-0.5"
                      >
                        Retry
                      </button>
                    ) : null}
                  </div>
                ) : null}
                {m.status === "complete" || m.status === "stopped" ? (
                  <AnswerFooter
                    answerId={m.id}
                    details={m.details}
                    citations={m.citations}
                    rating={m.rating}
                    correction={m.correction}
                    actions={{ rate: actions.rate, correct: actions.correct }}
                  />
                ) : null}
                {m.id === last?.id && !busy && m.status !== "failed" ? (
                  <button type="button" onClick={() => void send({ kind: "regenerate" })} className="mt-1 text-xs text-indigo-700 hover:underline">
                    Regenerate
                  </button>
                ) : null}
              </li>
            ),
          )}
          {showPending ? (
            <li className="self-end rounded-lg bg-indigo-50 px-3 py-2 text-sm whitespace-pre-wrap text-slate-900" data-testid="user-message">
              {pendingQuestion}
            </li>
          ) : null}
          {live ? (
            <li className="rounded-lg border border-slate-200 bg-white px-3 py-2" data-testid="assistant-message" data-status="streaming">
              {live.text ? <AnswerMarkdown text={live.text} /> : <span className="text-sm text-slate-500">Thinking…</span>}
            </li>
          ) : null}
        </ol>
      </div>
      {problem ? (
        <div role="alert" className="mt-2 flex items-center gap-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="chat-problem">
          <span>{problem.message}</span>
          {problem.retry ? (
            <button type="button" onClick={() => void send(problem.retry!)} className="rounded border border-red-300 px-2 py-0.5">
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
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
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
            onClick={() => {
              const id = live?.answerId ?? streamingId;
              if (id) void actions.stop(id);
            }}
            className="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50"
          >
            Stop
          </button>
        ) : (
          <button
            type="submit"
            disabled={!draft.trim()}
            className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
          >
            Send
          </button>
        )}
      </form>
    </div>
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
