// Chat messages in the AI SDK's UI vocabulary, shared by the server (which streams them) and the
// page (which renders them with useChat): an answer's text is a text part, each passage it cites a
// `source-url` part (its link opens the document at the passage), and Keel's own facts about the
// answer (status, who answered, fallback, cache, tokens, cost, why it failed) one `data-answer`
// part, replaced in place as the answer moves on. Thumbs and corrections ride as message metadata.
import type { InferUIMessageChunk, SourceUrlUIPart, UIMessage } from "ai";
import { z } from "zod";
import type { AnswerDetails, Citation } from "./types";

const answerStatuses = ["streaming", "complete", "stopped", "failed"] as const;

const answerDetailsSchema = z.object({
  provider: z.string().max(100).optional(),
  model: z.string().max(200).optional(),
  fallback: z.boolean().optional(),
  offline: z.boolean().optional(),
  cacheHit: z.boolean().optional(),
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
  softLimitReached: z.boolean().optional(),
}) satisfies z.ZodType<AnswerDetails>;

/** The `data-answer` part: where the answer stands, and (once it is over) how it was made. */
export const answerStateSchema = z.object({
  status: z.enum(answerStatuses),
  error: z.string().max(2_000).nullable().optional(),
  errorCode: z.string().max(100).nullable().optional(),
  details: answerDetailsSchema.optional(),
});
export type AnswerState = z.infer<typeof answerStateSchema>;

export const messageMetadataSchema = z.object({
  rating: z
    .union([z.literal(-1), z.literal(1)])
    .nullable()
    .optional(),
  correction: z.string().max(32_000).nullable().optional(),
});
type KeelMessageMetadata = z.infer<typeof messageMetadataSchema>;

export type KeelUIMessage = UIMessage<KeelMessageMetadata, { answer: AnswerState }>;
export type KeelUIChunk = InferUIMessageChunk<KeelUIMessage>;

/** One `data-answer` part per answer: later ones carry this id and replace it. */
export const ANSWER_PART_ID = "answer";
export const answerPart = (state: AnswerState): KeelUIChunk => ({ type: "data-answer", id: ANSWER_PART_ID, data: state });

/** The link a citation opens: the document page at the cited passage. */
export function citationHref(citation: Pick<Citation, "documentId" | "chunkIndex">): string {
  return `/documents/${citation.documentId}?chunk=${citation.chunkIndex}#chunk-${citation.chunkIndex}`;
}

/** What a source part carries beyond its link, under `providerMetadata.keel`. */
const citationSchema = z.object({
  number: z.number().int().positive(),
  documentId: z.uuid(),
  documentName: z.string().max(1_000),
  chunkIndex: z.number().int().nonnegative(),
  page: z.number().int().nullable(),
  excerpt: z.string().max(2_000),
}) satisfies z.ZodType<Citation>;

export function citationSource(citation: Citation): SourceUrlUIPart {
  return {
    type: "source-url",
    sourceId: `citation-${citation.number}`,
    url: citationHref(citation),
    title: citation.page ? `${citation.documentName}, page ${citation.page}` : citation.documentName,
    providerMetadata: { keel: { ...citation } },
  };
}

/** The citations of a message, from its source parts (anything malformed is left out). */
export function citationsOf(message: KeelUIMessage): Citation[] {
  const citations: Citation[] = [];
  for (const part of message.parts) {
    if (part.type !== "source-url") continue;
    const parsed = citationSchema.safeParse(part.providerMetadata?.keel);
    if (parsed.success) citations.push(parsed.data);
  }
  return citations.sort((a, b) => a.number - b.number);
}

export function answerStateOf(message: KeelUIMessage): AnswerState | null {
  for (const part of message.parts) if (part.type === "data-answer") return part.data;
  return null;
}

export function textOf(message: KeelUIMessage): string {
  return message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** What the page asks for: a new question, the last one answered again, or the last one edited. */
export type AskMode = { kind: "ask"; question: string } | { kind: "regenerate" } | { kind: "edit"; question: string };

/** What the ask and follow actions return: the answer's UI message stream, or why there is none. */
export type StreamedAnswer =
  { ok: true; answerId: string; conversationId: string; stream: ReadableStream<KeelUIChunk> } | { ok: false; message: string; code?: string };
