// Writes one answer: retrieves the passages, streams the model's text through the gateway (as an
// AI SDK model), and keeps the message row current as it goes. The run belongs to the process,
// not to the request that started it: a browser that goes away changes nothing, and whoever opens
// the conversation follows the rest. Stopping aborts the model call; what was written is kept (and
// the gateway bills what was delivered).
import { generateText, streamText, type LanguageModel } from "ai";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { chatMessages, conversations, type AnswerDetails } from "@/db/schema";
import { withTenant } from "@/db/scope";
import { isDatabaseUnreachable } from "@/db/unreachable";
import type { CallContext, LanguageRole } from "@/lib/ai/types";
import { log } from "@/core/log";
import { processSingleton } from "@/core/process-singleton";
import { registerProcessWork } from "@/lib/server/shutdown";
import { storableText } from "@/lib/text/storable";
import { truncateAtWord } from "@/lib/text/truncate";
import type { TenantContext } from "@/lib/tenancy/context";
import { announce, onChatSignal } from "./answer-channel";
import { describeAnswerFailure } from "./answer-failures";
import { TITLE_FROM_QUESTION_CHARS } from "./conversations";
import { citationsIn, GROUNDED_PROMPT_VERSION, groundedPrompt, type GroundingPassage, type HistoryTurn } from "./grounding-prompt";

export interface AnswerDeps {
  /** The gateway as an AI SDK model for this call (route, cache, quota, fallback, metering). */
  model(call: CallContext, role: LanguageRole): LanguageModel;
  /** The tenant's passages for the question, within the chosen collections (null: all). */
  retrieve(ctx: TenantContext, question: string, collectionIds: string[] | null): Promise<GroundingPassage[]>;
  /** Reads the gateway's per-answer details (provider, fallback, cache, tokens, cost) from the result. */
  details(providerMetadata: unknown): AnswerDetails;
}

export interface AnswerJob {
  ctx: TenantContext;
  conversationId: string;
  answerId: string;
  question: string;
  history: HistoryTurn[];
  /** null: every collection; []: no documents. */
  collectionIds: string[] | null;
  nameConversation: boolean;
  /** Regenerating: ask the model again rather than replay a cached answer. */
  fresh: boolean;
}

type Follower = (text: string, done: boolean) => void;

interface RunningAnswer {
  tenantId: string;
  userId: string;
  conversationId: string;
  controller: AbortController;
  text: string;
  followers: Set<Follower>;
  finished: Promise<void>;
}

const running = processSingleton("chat:running", () => new Map<string, RunningAnswer>());
const SAVE_EVERY_MS = 250;
const HEARTBEAT_MS = 5_000;
/**
 * How long the final save of an answer keeps trying while the database is out of reach: an outage
 * shorter than this ends the answer stored as it ended, rather than left "streaming" until the
 * abandoned-answer rule marks it interrupted (its followers here wait meanwhile).
 */
const FINAL_SAVE_RETRY_MS = 60_000;
const FINAL_SAVE_BACKOFF_MS = { first: 250, max: 5_000 };

/** The answer if this process is writing it (followers here get every delta at once). */
export function runningAnswer(answerId: string): RunningAnswer | undefined {
  return running.get(answerId);
}

/** Aborts an answer this process writes; false if it is not here. */
export function abortLocally(answerId: string): boolean {
  const answer = running.get(answerId);
  if (!answer) return false;
  answer.controller.abort();
  return true;
}

/** Stop requests from other processes reach the one writing the answer. */
const stopListener = processSingleton("chat:stop-listener", () => ({ ready: null as Promise<unknown> | null }));
function listenForStops(): Promise<unknown> {
  stopListener.ready ??= onChatSignal((signal) => {
    if (signal.type === "stop") abortLocally(signal.messageId);
  });
  return stopListener.ready;
}

/**
 * When the server's grace period is up, answers still being written stop: each is saved as stopped
 * and billed for what was delivered (the gateway meters an aborted stream by its delivered text).
 */
async function stopAllAnswers(): Promise<void> {
  const answers = [...running.values()];
  for (const answer of answers) answer.controller.abort();
  await Promise.all(answers.map((answer) => answer.finished));
}

async function answersSettled(): Promise<void> {
  await Promise.all([...running.values()].map((answer) => answer.finished));
}

/** Starts writing the answer in the background; resolves once it is registered in this process. */
export async function launchAnswer(job: AnswerJob, deps: AnswerDeps): Promise<void> {
  await listenForStops();
  registerProcessWork("chat answers", { settled: answersSettled, stop: stopAllAnswers });
  let settle!: () => void;
  const answer: RunningAnswer = {
    tenantId: job.ctx.tenantId,
    userId: job.ctx.userId,
    conversationId: job.conversationId,
    controller: new AbortController(),
    text: "",
    followers: new Set(),
    finished: new Promise((resolve) => (settle = resolve)),
  };
  running.set(job.answerId, answer);
  void writeAnswer(job, answer, deps)
    .catch((error: unknown) => log.error({ err: error, messageId: job.answerId }, "chat: an answer could not be finished"))
    .finally(() => {
      running.delete(job.answerId);
      settle();
    });
}

async function writeAnswer(job: AnswerJob, answer: RunningAnswer, deps: AnswerDeps): Promise<void> {
  const { ctx } = job;
  const grounded = job.collectionIds === null || job.collectionIds.length > 0;
  let saved = 0;
  let lastSave = 0;
  // Saves of the text so far run beside the stream, one at a time, rather than in its loop: the
  // model's deltas (and this process's followers) never wait on the database, whose latency grows
  // with load. The final save waits for the one in flight, so it is always the last write.
  let inFlight: Promise<void> | null = null;
  const write = async (final?: Partial<typeof chatMessages.$inferInsert>) => {
    const content = storableText(answer.text);
    saved = answer.text.length;
    lastSave = Date.now();
    await withTenant(
      ctx.tenantId,
      async (tx) => {
        await tx
          .update(chatMessages)
          .set({ content, updatedAt: new Date(), ...final })
          .where(and(eq(chatMessages.id, job.answerId), eq(chatMessages.status, "streaming")));
        await announce(tx, { type: "saved", messageId: job.answerId, length: content.length, done: Boolean(final) });
      },
      { userId: ctx.userId },
    );
  };
  const saveSoon = () => {
    if (inFlight) return;
    inFlight = write()
      .catch((error: unknown) => log.warn({ err: error, messageId: job.answerId }, "chat: saving the text so far failed"))
      .finally(() => (inFlight = null));
  };
  const save = async (final: Partial<typeof chatMessages.$inferInsert>) => {
    await inFlight;
    const giveUpAt = Date.now() + FINAL_SAVE_RETRY_MS;
    for (let delay = FINAL_SAVE_BACKOFF_MS.first; ; delay = Math.min(delay * 2, FINAL_SAVE_BACKOFF_MS.max)) {
      try {
        return await write(final);
      } catch (error) {
        if (!isDatabaseUnreachable(error) || Date.now() + delay > giveUpAt) throw error;
        log.warn({ err: error, messageId: job.answerId }, "chat: the database is out of reach; saving the answer again shortly");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
  const tell = (done: boolean) => {
    for (const follower of answer.followers) follower(answer.text, done);
  };

  // Saves at least every few seconds even while the model is silent, so other processes can tell
  // a slow answer from one whose process died.
  const heartbeat = setInterval(() => {
    if (Date.now() - lastSave >= HEARTBEAT_MS) saveSoon();
  }, HEARTBEAT_MS);
  let passages: GroundingPassage[] = [];
  try {
    passages = grounded ? await deps.retrieve(ctx, job.question, job.collectionIds) : [];
    const call: CallContext = {
      tenantId: ctx.tenantId,
      userId: ctx.userId,
      feature: "chat",
      requestId: job.answerId,
      contextChunkIds: grounded ? passages.map((p) => p.chunkId) : undefined,
      promptVersion: GROUNDED_PROMPT_VERSION,
      cacheQuestion: job.question,
      signal: answer.controller.signal,
      ...(job.fresh ? { cache: { noCache: true } } : {}),
    };
    // streamText reports a failed call here rather than by throwing from the text stream.
    let streamError: unknown = null;
    const result = streamText({
      model: deps.model(call, "chat"),
      ...groundedPrompt(job.question, passages, job.history, grounded),
      abortSignal: answer.controller.signal,
      experimental_telemetry: { isEnabled: true, functionId: "keel.chat.answer" },
      onError: ({ error }) => {
        streamError ??= error;
      },
    });
    for await (const delta of result.textStream) {
      answer.text += delta;
      tell(false);
      if (Date.now() - lastSave >= SAVE_EVERY_MS && answer.text.length > saved) saveSoon();
    }
    if (answer.controller.signal.aborted) throw answer.controller.signal.reason ?? new Error("stopped");
    if (streamError) throw streamError;
    const details = deps.details(await result.providerMetadata);
    await save({ status: "complete", citations: citationsIn(answer.text, passages), details });
  } catch (error) {
    if (answer.controller.signal.aborted) {
      await save({ status: "stopped", citations: citationsIn(answer.text, passages) });
    } else {
      const failure = describeAnswerFailure(error);
      if (failure.code === "failed") log.error({ err: error, messageId: job.answerId }, "chat: answering failed");
      await save({ status: "failed", error: failure.message, errorCode: failure.code, citations: citationsIn(answer.text, passages) });
    }
  } finally {
    clearInterval(heartbeat);
    tell(true);
  }
  if (job.nameConversation) await nameConversation(job, deps).catch((error: unknown) => log.warn({ err: error }, "chat: could not title a conversation"));
}

const titleSchema = z
  .string()
  .transform((t) => t.replace(/[\r\n\t]+/g, " ").replace(/^["'“”\s#*]+|["'“”\s.*]+$/g, ""))
  .pipe(z.string().min(1).max(120));

/** A model's title is cut here (at a word) if it ignored "at most six words". */
const MODEL_TITLE_CHARS = 80;

/** Names a new conversation from its first question through the gateway's title role. */
async function nameConversation(job: AnswerJob, deps: AnswerDeps): Promise<void> {
  const { ctx } = job;
  const result = await generateText({
    model: deps.model({ tenantId: ctx.tenantId, userId: ctx.userId, feature: "chat-title", requestId: `${job.answerId}:title` }, "title"),
    system: "Write a short title (at most six words) for a conversation that starts with the user's question. Reply with the title only.",
    prompt: job.question.slice(0, 2_000),
  });
  // The offline model only quotes context, so it cannot write a title: the question names it then.
  const offline = deps.details(result.providerMetadata).offline === true;
  const parsed = offline ? null : titleSchema.safeParse(result.text.slice(0, 400));
  const title = parsed?.success ? truncateAtWord(parsed.data, MODEL_TITLE_CHARS) : truncateAtWord(job.question, TITLE_FROM_QUESTION_CHARS);
  await withTenant(
    ctx.tenantId,
    (tx) =>
      tx
        .update(conversations)
        .set({ title: storableText(title), titled: true })
        .where(and(eq(conversations.id, job.conversationId), eq(conversations.titled, false))),
    { userId: ctx.userId },
  );
}
