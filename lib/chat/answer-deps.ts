// What answers are made with in the app: the gateway as an AI SDK model, and the one retrieval path.
import { keelModel, readKeelMetadata } from "@/lib/ai";
import { retrieve } from "@/lib/rag";
import type { TenantContext } from "@/lib/tenancy/context";
import type { AnswerDeps } from "./answer-runner";
import type { AnswerDetails } from "./types";
import type { GroundingPassage } from "./grounding-prompt";

/** Passages per answer: enough to cover a question from several sides, few enough to stay focused. */
const PASSAGES_PER_ANSWER = 6;

export async function retrievePassages(ctx: TenantContext, question: string, collectionIds: string[] | null): Promise<GroundingPassage[]> {
  const { hits } = await retrieve({ tenantId: ctx.tenantId, userId: ctx.userId, feature: "chat-retrieval" }, question.slice(0, 8_000), {
    k: PASSAGES_PER_ANSWER,
    ...(collectionIds ? { collections: collectionIds } : {}),
  });
  return hits.map((hit) => ({
    chunkId: hit.chunkId,
    documentId: hit.documentId,
    documentName: hit.documentTitle,
    chunkIndex: hit.chunkIndex,
    page: hit.page,
    text: hit.text,
  }));
}

export function answerDetails(providerMetadata: unknown): AnswerDetails {
  const keel = readKeelMetadata(providerMetadata);
  if (!keel) return {};
  return {
    provider: keel.provider,
    model: keel.model,
    fallback: keel.fallback,
    offline: keel.offline,
    cacheHit: keel.cacheHit,
    inputTokens: keel.inputTokens,
    outputTokens: keel.outputTokens,
    costUsd: keel.costMicroUsd / 1_000_000,
  };
}

export function answerDeps(): AnswerDeps {
  return { model: keelModel, retrieve: retrievePassages, details: answerDetails };
}
