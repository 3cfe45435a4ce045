// `keel-rag` on /api/v1/chat/completions: an answer grounded in the workspace's documents, as the
// chat gives it. The last user message is the question; the workspace's passages for it (within
// the collections asked for) travel as quoted data under the chat's grounding system prompt, and
// the passages the answer cites come back in `citations` on the message (streaming: in the delta
// of the final chunk). Metered as a chat call ("api-rag") plus the retrieval's embedding call
// ("api-retrieval"), both under the API key.
import type { LanguageModelV3Prompt } from "@ai-sdk/provider";
import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { collections } from "@/db/schema";
import { withTenant } from "@/db/scope";
import type { ApiKeyPrincipal } from "@/lib/auth/api-keys";
import { citationsIn, GROUNDED_PROMPT_VERSION, passagesData, SYSTEM_GROUNDED, type GroundingPassage } from "@/lib/chat/grounding-prompt";
import { retrieve } from "@/lib/rag";
import { toPrompt } from "./chat-request";
import { openAiError } from "./errors";
import type { ChatCompletionRequest, ChatMessage } from "./schemas";

export const GROUNDED_MODEL = "keel-rag";

/** `keel-rag` (or `rag`, as the other model names may drop their prefix). */
export function isGroundedModel(name: string): boolean {
  const normalised = name.trim().toLowerCase();
  return normalised === GROUNDED_MODEL || normalised === "rag";
}

const MAX_PASSAGES = 20;
const DEFAULT_PASSAGES = 6;
const MAX_QUESTION_CHARS = 8_000;

/** The request's extension field: `"keel": { "collection_ids": [...], "passages": 6 }`, both optional. */
const groundingOptionsSchema = z.strictObject({
  collection_ids: z
    .array(z.uuid("Collection ids are UUIDs."))
    .min(1, "Name at least one collection, or leave the list out to search them all.")
    .max(100)
    .optional(),
  passages: z.number().int().min(1).max(MAX_PASSAGES).optional(),
});

/** A cited passage as the API returns it (`index` is the [n] the answer uses). */
export interface ApiCitation {
  index: number;
  document_id: string;
  document_name: string;
  collection_id: string;
  chunk_index: number;
  page: number | null;
  excerpt: string;
}

export interface Grounding {
  prompt: LanguageModelV3Prompt;
  contextChunkIds: string[];
  promptVersion: string;
  /** The usage event key of the retrieval's embedding call. */
  retrievalCallId: string;
  citations(answer: string): ApiCitation[];
}

type Passage = GroundingPassage & { collectionId: string };

const textOf = (content: ChatMessage["content"]): string =>
  typeof content === "string" ? content : (content ?? []).map((part) => ("text" in part ? part.text : "")).join("");

const badRequest = (message: string, param: string | null, code = "invalid_request") => ({
  ok: false as const,
  response: openAiError(400, message, "invalid_request_error", code, param),
});

/** Refuses collection ids the workspace does not have (another workspace's look the same: unknown). */
async function unknownCollections(tenantId: string, ids: string[]): Promise<string[]> {
  const found = await withTenant(tenantId, (tx) =>
    tx
      .select({ id: collections.id })
      .from(collections)
      .where(and(eq(collections.tenantId, tenantId), inArray(collections.id, ids))),
  );
  const known = new Set(found.map((row) => row.id));
  return ids.filter((id) => !known.has(id));
}

/**
 * Retrieves the passages for the request's question and builds the grounded prompt; or the 400 to
 * answer instead. Client system messages follow Keel's grounding instructions, never replace them.
 */
export async function prepareGrounding(
  body: ChatCompletionRequest,
  principal: ApiKeyPrincipal,
  signal: AbortSignal,
): Promise<{ ok: true; grounding: Grounding } | { ok: false; response: Response }> {
  const options = groundingOptionsSchema.safeParse((body as { keel?: unknown }).keel ?? {});
  if (!options.success) {
    const issue = options.error.issues[0]!;
    return badRequest(`Invalid 'keel.${issue.path.join(".")}': ${issue.message}`, ["keel", ...issue.path].join("."));
  }
  if ((body.tools?.length ?? 0) > 0) return badRequest(`${GROUNDED_MODEL} answers from the workspace's documents and takes no tools.`, "tools");
  const last = body.messages.at(-1)!;
  const question = last.role === "user" ? textOf(last.content).trim() : "";
  if (!question) return badRequest(`${GROUNDED_MODEL} answers the last message, which must be a user message with text.`, "messages");

  const collectionIds = options.data.collection_ids ? [...new Set(options.data.collection_ids.map((id) => id.toLowerCase()))] : undefined;
  if (collectionIds) {
    const unknown = await unknownCollections(principal.tenantId, collectionIds);
    if (unknown.length > 0) return badRequest(`No collection ${unknown[0]} in this workspace.`, "keel.collection_ids", "collection_not_found");
  }

  const { hits, requestId } = await retrieve(
    { tenantId: principal.tenantId, apiKeyId: principal.apiKeyId, feature: "api-retrieval", signal },
    question.slice(0, MAX_QUESTION_CHARS),
    { k: options.data.passages ?? DEFAULT_PASSAGES, ...(collectionIds ? { collections: collectionIds } : {}) },
  );
  const passages: Passage[] = hits.map((hit) => ({
    chunkId: hit.chunkId,
    documentId: hit.documentId,
    documentName: hit.documentTitle,
    collectionId: hit.collectionId,
    chunkIndex: hit.chunkIndex,
    page: hit.page,
    text: hit.text,
  }));

  const earlier = body.messages.slice(0, -1);
  const isInstruction = (m: ChatMessage) => m.role === "system" || m.role === "developer";
  const system = [SYSTEM_GROUNDED, ...earlier.filter(isInstruction).map((m) => textOf(m.content))].join("\n\n");
  const prompt: LanguageModelV3Prompt = [
    { role: "system", content: system },
    ...toPrompt(earlier.filter((m) => !isInstruction(m))),
    {
      role: "user",
      content:
        passages.length > 0
          ? [
              { type: "text", text: passagesData(passages) },
              { type: "text", text: `Question: ${question}` },
            ]
          : [{ type: "text", text: question }],
    },
  ];
  return {
    ok: true,
    grounding: {
      prompt,
      contextChunkIds: passages.map((p) => p.chunkId),
      promptVersion: GROUNDED_PROMPT_VERSION,
      retrievalCallId: requestId,
      citations: (answer) =>
        citationsIn(answer, passages).map((c) => ({
          index: c.number,
          document_id: c.documentId,
          document_name: c.documentName,
          collection_id: passages[c.number - 1]!.collectionId,
          chunk_index: c.chunkIndex,
          page: c.page,
          excerpt: c.excerpt,
        })),
    },
  };
}
