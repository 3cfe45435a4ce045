// An answer as the AI SDK's UI message stream, for the server actions that hand it to the browser
// (useChat reads it through Keel's transport). It follows the answer wherever it is written: the
// text so far first (after a reload it may be long already), then each new piece, and at the end
// the citations as source parts and the stored outcome (complete, stopped or failed, with who
// answered and what it cost) as the `data-answer` part. Following is all it does: closing it (the
// browser left) never stops the answer, which only the stop action does.
import type { TenantContext } from "@/lib/tenancy/context";
import { followAnswer, type AnswerUpdate } from "./answers";
import { storedAnswerState } from "./stored-messages";
import { answerPart, citationSource, type KeelUIChunk } from "./ui-message";

const TEXT_PART_ID = "text";

export function answerUIStream(ctx: TenantContext, answerId: string): ReadableStream<KeelUIChunk> {
  const stop = new AbortController();
  let updates: AsyncGenerator<AnswerUpdate> | null = null;
  let sent = 0;
  let textOpen = false;
  let started = false;

  /** The chunks one update of the answer adds; `done` once nothing more will come. */
  const chunksFor = (next: IteratorResult<AnswerUpdate>): { chunks: KeelUIChunk[]; done: boolean } => {
    const chunks: KeelUIChunk[] = [];
    if (!started) {
      started = true;
      chunks.push({ type: "start", messageId: answerId }, answerPart({ status: "streaming" }));
    }
    const closeText = () => {
      if (textOpen) chunks.push({ type: "text-end", id: TEXT_PART_ID });
      textOpen = false;
    };
    // The follower gave up (the browser left): end the stream, the answer goes on.
    if (next.done) return (closeText(), { chunks, done: true });
    const { text, final } = next.value;
    if (text.length > sent) {
      if (!textOpen) chunks.push({ type: "text-start", id: TEXT_PART_ID });
      textOpen = true;
      chunks.push({ type: "text-delta", id: TEXT_PART_ID, delta: text.slice(sent) });
      sent = text.length;
    }
    if (!final) return { chunks, done: false };
    closeText();
    chunks.push(...final.citations.map(citationSource), answerPart(storedAnswerState(final)), { type: "finish" });
    return { chunks, done: true };
  };

  return new ReadableStream<KeelUIChunk>({
    async pull(controller) {
      // The first update is read before anything is sent, so an answer that is not the caller's
      // fails the stream before it has said a word.
      updates ??= followAnswer(ctx, answerId, stop.signal);
      // Each pull must enqueue or close: a pull that does neither is not called again.
      for (;;) {
        const { chunks, done } = chunksFor(await updates.next());
        for (const chunk of chunks) controller.enqueue(chunk);
        if (done) return controller.close();
        if (chunks.length > 0) return;
      }
    },
    cancel() {
      stop.abort();
      void updates?.return(undefined);
    },
  });
}
